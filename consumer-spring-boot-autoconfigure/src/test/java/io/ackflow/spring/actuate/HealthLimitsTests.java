package io.ackflow.spring.actuate;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.ackflow.spring.AckflowConfigurationException;
import io.ackflow.spring.AckflowProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The health limits of a consumer: {@code ackflow.health.*} when set, else the consumer's own
 * {@code max.poll.interval.ms} and {@code session.timeout.ms}, else the Kafka clients' defaults;
 * its rebalance timeout from its group protocol.
 */
class HealthLimitsTests {

    private final AckflowProperties.Health health = new AckflowProperties().getHealth();

    @Test
    void withNothingSetTheLimitsAreTheKafkaClientsDefaults() {
        assertThat(HealthLimits.of(this.health, Map.of()))
            .isEqualTo(new HealthLimits(Duration.ofMinutes(5), 10, Duration.ofSeconds(45), Duration.ofMinutes(5)))
            .isEqualTo(HealthLimits.DEFAULTS);
    }

    @Test
    void unsetDurationsComeFromTheConsumersSettingsAsNumbersOrStrings() {
        HealthLimits limits = HealthLimits.of(this.health,
                Map.of("max.poll.interval.ms", 120_000, "session.timeout.ms", "6000"));

        assertThat(limits).isEqualTo(new HealthLimits(Duration.ofMinutes(2), 10, Duration.ofSeconds(6),
                Duration.ofMinutes(2)));
    }

    @Test
    void underTheConsumerGroupProtocolTheSessionTimeoutIsTheBrokersDefaultAndRebalancesDoNotStopHeartbeats() {
        HealthLimits limits = HealthLimits.of(this.health,
                Map.of("group.protocol", "CONSUMER", "session.timeout.ms", 6000, "max.poll.interval.ms", 120_000));

        assertThat(limits.coordinatorTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(limits.rebalanceTimeout()).isZero();
    }

    @Test
    void propertiesThatAreSetWinOverTheConsumersSettings() {
        this.health.setPollStallTimeout(Duration.ofSeconds(90));
        this.health.setCoordinatorTimeout(Duration.ofSeconds(20));
        this.health.setCommitFailureIntervals(3);

        HealthLimits limits = HealthLimits.of(this.health,
                Map.of("max.poll.interval.ms", 120_000, "session.timeout.ms", 6000));

        assertThat(limits).as("the rebalance timeout stays the consumer's")
            .isEqualTo(new HealthLimits(Duration.ofSeconds(90), 3, Duration.ofSeconds(20), Duration.ofMinutes(2)));
        assertThat(limits.commitFailureTimeout(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(600));
    }

    @Test
    void aNumberOfIntervalsBelowOneNamesItsProperty() {
        this.health.setCommitFailureIntervals(0);

        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> HealthLimits.of(this.health, Map.of()))
            .withMessage("Property 'ackflow.health.commit-failure-intervals' must be at least 1, was 0.");
    }

    @Test
    void aTimeoutThatIsNotPositiveNamesItsProperty() {
        this.health.setPollStallTimeout(Duration.ZERO);

        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> HealthLimits.of(this.health, Map.of()))
            .withMessage("Property 'ackflow.health.poll-stall-timeout' must be a positive duration, was PT0S.");
    }

}
