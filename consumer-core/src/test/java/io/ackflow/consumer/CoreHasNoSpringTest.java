package io.ackflow.consumer;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The engine is framework-free. The build's enforcer rule bans Spring artifacts from the
 * module's compile and runtime scopes; this test catches an import that comes in some other way.
 */
class CoreHasNoSpringTest {

    @Test
    void noProductionClassDependsOnSpring() {
        JavaClasses core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ackflow.consumer");
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.springframework..").check(core);
    }

}
