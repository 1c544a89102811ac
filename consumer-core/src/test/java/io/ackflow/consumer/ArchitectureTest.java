package io.ackflow.consumer;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package structure of the engine, checked on its classes.
 * <p>
 * A package per concept, in the order of a record's path: {@code loop} (the poll thread) uses
 * {@code rebalance}, {@code transaction} and {@code commit}, which use {@code dispatch},
 * {@code flow}, {@code state} and {@code tracking}; no two of them import each other, directly or
 * around a circle. The root package is the public face: the engine that wires the packages
 * together, and the vocabulary they share ({@code Subscription}, {@code Ordering},
 * {@code RecordHandler}, {@code EngineConfig}, the stats). It is left out of the slices, and no
 * package depends on the engine itself.
 */
class ArchitectureTest {

    private static final JavaClasses CORE = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.ackflow.consumer");

    @Test
    void thePackagesOfTheEngineImportEachOtherWithoutCycles() {
        slices().matching("io.ackflow.consumer.(*)..").should().beFreeOfCycles().check(CORE);
    }

    @Test
    void onlyThePublicFaceWiresTheEngine() {
        noClasses().that().resideOutsideOfPackage("io.ackflow.consumer")
            .should().dependOnClassesThat().haveSimpleName("AckflowEngine")
            .orShould().dependOnClassesThat().haveSimpleName("HandlerExecutors")
            .check(CORE);
    }

    @Test
    void theStepsOfARecordNeverReachBackToThePollLoop() {
        noClasses().that().resideOutsideOfPackages("io.ackflow.consumer", "io.ackflow.consumer.loop")
            .should().dependOnClassesThat().resideInAPackage("io.ackflow.consumer.loop")
            .check(CORE);
    }

}
