package io.ackflow.spring;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default {@code ackflow.shutdown-timeout} fits in Spring Boot's shutdown phase
 * ({@code spring.lifecycle.timeout-per-shutdown-phase}), and a timeout set past the phase is
 * reported at start-up.
 */
@ExtendWith(OutputCaptureExtension.class)
class ShutdownTimeoutTests {

    private static final String WARNING = "ackflow.shutdown-timeout";

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withUserConfiguration(AuditListener.class)
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false");

    @Test
    void defaultIsSpringBootsThirtySecondPhaseLessFiveSeconds(CapturedOutput output) {
        assertShutdownTimeout(Duration.ofSeconds(25));
        assertThat(output).doesNotContain(WARNING);
    }

    @Test
    void aTenSecondPhaseLeavesFiveSeconds(CapturedOutput output) {
        assertShutdownTimeout(Duration.ofSeconds(5), "spring.lifecycle.timeout-per-shutdown-phase=10s");
        assertThat(output).doesNotContain(WARNING);
    }

    @Test
    void aPhaseShorterThanTenSecondsIsHalved() {
        assertShutdownTimeout(Duration.ofSeconds(2), "spring.lifecycle.timeout-per-shutdown-phase=4s");
        assertShutdownTimeout(Duration.ofMillis(750), "spring.lifecycle.timeout-per-shutdown-phase=1500ms");
    }

    @Test
    void aTimeoutSetBelowThePhaseWinsWithoutAWarning(CapturedOutput output) {
        assertShutdownTimeout(Duration.ofSeconds(12), "ackflow.shutdown-timeout=12s");
        assertShutdownTimeout(Duration.ofSeconds(40), "ackflow.shutdown-timeout=40s",
                "spring.lifecycle.timeout-per-shutdown-phase=60s");
        assertThat(output).doesNotContain(WARNING);
    }

    @Test
    void aTimeoutSetAtTheDefaultPhaseIsKeptAndWarnedAboutNamingBothProperties(CapturedOutput output) {
        assertShutdownTimeout(Duration.ofSeconds(30), "ackflow.shutdown-timeout=30s");
        assertThat(output.getOut().lines().filter((line) -> line.contains(WARNING)).toList()).singleElement()
            .satisfies((line) -> assertThat(line).contains(" WARN ")
                .endsWith(" - ackflow.shutdown-timeout (30s) is not shorter than"
                        + " spring.lifecycle.timeout-per-shutdown-phase (30s): if handlers run that long on shutdown,"
                        + " Spring Boot stops waiting before Ackflow's final commit and goes on closing the application,"
                        + " and the records acked since the last commit are read again on restart. Set"
                        + " ackflow.shutdown-timeout a few seconds below 30s, or remove it for the default of 25s."));
    }

    @Test
    void aTimeoutPastAShortPhaseIsWarnedAboutWithThatPhaseAndItsDefault(CapturedOutput output) {
        assertShutdownTimeout(Duration.ofSeconds(20), "ackflow.shutdown-timeout=20s",
                "spring.lifecycle.timeout-per-shutdown-phase=4s");
        assertThat(output).contains("ackflow.shutdown-timeout (20s) is not shorter than"
                + " spring.lifecycle.timeout-per-shutdown-phase (4s)")
            .contains("a few seconds below 4s, or remove it for the default of 2s.");
    }

    @Test
    void derivedTimeoutIsThePhaseLessFiveSecondsOrHalfAShortOne() {
        assertThat(List.of(60_000, 30_000, 10_000, 9_000, 1_000, 0, -1_000).stream()
            .map((millis) -> ShutdownTimeouts.derive(Duration.ofMillis(millis)).toMillis()))
            .containsExactly(55_000L, 25_000L, 5_000L, 4_500L, 500L, 0L, 0L);
    }

    @Test
    void registryMadeWithoutAnEnvironmentAssumesSpringBootsDefaultPhase() {
        StreamListenerRegistry registry = new StreamListenerRegistry(new AckflowProperties(), null,
                new PayloadDeserializers(null), List.of(), null);
        assertThat(registry.getEngineConfig().shutdownTimeout()).isEqualTo(Duration.ofSeconds(25));
    }

    private void assertShutdownTimeout(Duration expected, String... properties) {
        this.contextRunner.withPropertyValues(properties).run((context) -> {
            assertThat(context).hasNotFailed();
            StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
            assertThat(registry.getEngineConfig().shutdownTimeout()).isEqualTo(expected);
            assertThat(registry.getEngine().config().shutdownTimeout()).as("the engine's").isEqualTo(expected);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class AuditListener {

        @StreamListener(topics = "orders")
        void audit(String order) {
        }

    }

}
