package io.ackflow.spring.actuate;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.jspecify.annotations.Nullable;

import io.ackflow.spring.AckflowConfigurationException;
import io.ackflow.spring.AckflowProperties;

/**
 * How long one consumer may go without progress before the {@code ackflow} health is DOWN:
 * {@code ackflow.health.*}, each unset duration taken from the consumer's own Kafka settings.
 *
 * @param pollStallTimeout longest time the poll thread may stay away from poll
 * @param commitFailureIntervals commit intervals for which commits may keep failing
 * @param coordinatorTimeout longest time without a heartbeat to the group coordinator
 * @param rebalanceTimeout longest time a rebalance may keep the consumer from sending heartbeats
 *        while it still holds connections to brokers: under the classic protocol a member sends
 *        none while its JoinGroup waits for the other members, for up to the rebalance timeout
 *        (the consumer's {@code max.poll.interval.ms}); zero under {@code group.protocol=consumer},
 *        whose heartbeats go on through rebalances
 */
public record HealthLimits(Duration pollStallTimeout, int commitFailureIntervals, Duration coordinatorTimeout,
        Duration rebalanceTimeout) {

    /** The Kafka client's {@code max.poll.interval.ms} default. */
    public static final Duration DEFAULT_POLL_STALL_TIMEOUT = Duration.ofMinutes(5);

    public static final int DEFAULT_COMMIT_FAILURE_INTERVALS = 10;

    /**
     * The Kafka client's {@code session.timeout.ms} default, and the broker's
     * {@code group.consumer.session.timeout.ms} default.
     */
    public static final Duration DEFAULT_COORDINATOR_TIMEOUT = Duration.ofSeconds(45);

    /** With the Kafka clients' defaults, under the classic group protocol. */
    public static final HealthLimits DEFAULTS = new HealthLimits(DEFAULT_POLL_STALL_TIMEOUT,
            DEFAULT_COMMIT_FAILURE_INTERVALS, DEFAULT_COORDINATOR_TIMEOUT, DEFAULT_POLL_STALL_TIMEOUT);

    /**
     * The limits of a consumer: {@code health}'s values, and for each unset duration the
     * consumer's {@code max.poll.interval.ms} or {@code session.timeout.ms} ({@code 45s} under
     * {@code group.protocol=consumer}, where the broker owns the session timeout); its rebalance
     * timeout from its {@code group.protocol} and {@code max.poll.interval.ms}.
     * @param consumerConfigs the consumer's Kafka settings, or null when unknown (the defaults)
     * @throws AckflowConfigurationException naming the property when one is out of range
     */
    public static HealthLimits of(AckflowProperties.Health health, @Nullable Map<String, Object> consumerConfigs) {
        Map<String, Object> configs = (consumerConfigs != null) ? consumerConfigs : Map.of();
        Duration maxPollInterval = millis(configs, ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                DEFAULT_POLL_STALL_TIMEOUT);
        boolean consumerProtocol = "consumer".equalsIgnoreCase(
                String.valueOf(configs.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)).trim());
        Duration pollStall = health.getPollStallTimeout();
        if (pollStall == null) {
            pollStall = maxPollInterval;
        }
        Duration coordinator = health.getCoordinatorTimeout();
        if (coordinator == null) {
            coordinator = consumerProtocol ? DEFAULT_COORDINATOR_TIMEOUT
                    : millis(configs, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, DEFAULT_COORDINATOR_TIMEOUT);
        }
        positive("ackflow.health.poll-stall-timeout", pollStall);
        positive("ackflow.health.coordinator-timeout", coordinator);
        if (health.getCommitFailureIntervals() < 1) {
            throw invalid("ackflow.health.commit-failure-intervals", health.getCommitFailureIntervals(),
                    "must be at least 1");
        }
        return new HealthLimits(pollStall, health.getCommitFailureIntervals(), coordinator,
                consumerProtocol ? Duration.ZERO : maxPollInterval);
    }

    /** How long commits may keep failing for an engine that commits every {@code commitInterval}. */
    public Duration commitFailureTimeout(Duration commitInterval) {
        return commitInterval.multipliedBy(this.commitFailureIntervals);
    }

    /** A setting in milliseconds, an Integer or a String as Kafka reads it; {@code otherwise} when unset or unreadable. */
    private static Duration millis(Map<String, Object> configs, String name, Duration otherwise) {
        Object value = configs.get(name);
        if (value == null) {
            return otherwise;
        }
        try {
            return Duration.ofMillis(((Number) ConfigDef.parseType(name, value, ConfigDef.Type.LONG)).longValue());
        }
        catch (ConfigException unreadable) {
            // The consumer refuses it when it is made; the health keeps the client's default meanwhile.
            return otherwise;
        }
    }

    private static void positive(String property, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw invalid(property, value, "must be a positive duration");
        }
    }

    private static AckflowConfigurationException invalid(String property, Object value, String requirement) {
        return new AckflowConfigurationException("Property '" + property + "' " + requirement + ", was " + value + ".",
                "Change '" + property + "' in application.yml or application.properties: it " + requirement + ".");
    }

}
