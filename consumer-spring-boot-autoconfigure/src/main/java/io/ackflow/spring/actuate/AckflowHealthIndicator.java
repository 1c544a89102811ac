package io.ackflow.spring.actuate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.spring.StreamListenerRegistry;

/**
 * Health of the Ackflow consumers: DOWN when a consumer's engine died (its poll thread ended on
 * an error, or a listener's {@code stop} recovery stopped it), when a partition is stuck past
 * {@code ackflow.commit-livelock-soft-timeout}, or when a running consumer makes no progress:
 * its poll thread has not come back to poll, its commits keep failing, or its group coordinator
 * has had no heartbeat from it, each for longer than its {@link HealthLimits limit}
 * ({@code ackflow.health.*}). UP again once progress resumes; UP also for a consumer stopped on
 * purpose or not started. The details name, per consumer, its state and its reasons, each with
 * what it concerns (partitions, offsets, listeners and threads; the poll thread; the group) and
 * since when (see {@link ConsumerHealth}).
 * <p>
 * Reads what each engine's poll thread publishes and the engine's clock; never calls a consumer.
 */
public class AckflowHealthIndicator extends AbstractHealthIndicator {

    private final Supplier<Map<String, AckflowEngine>> engines;

    private final Function<String, HealthLimits> limits;

    /**
     * With the Kafka clients' defaults as limits ({@link HealthLimits#DEFAULTS}).
     * @param engines the current engine of each consumer, by consumer name ({@link StreamListenerRegistry#getEngines()})
     */
    public AckflowHealthIndicator(Supplier<Map<String, AckflowEngine>> engines) {
        this(engines, (name) -> HealthLimits.DEFAULTS);
    }

    /**
     * @param engines the current engine of each consumer, by consumer name ({@link StreamListenerRegistry#getEngines()})
     * @param limits the limits of each consumer, by consumer name
     */
    public AckflowHealthIndicator(Supplier<Map<String, AckflowEngine>> engines, Function<String, HealthLimits> limits) {
        super("Ackflow health check failed");
        this.engines = engines;
        this.limits = limits;
    }

    /** The limits of consumer {@code name}. */
    public HealthLimits limits(String name) {
        return this.limits.apply(name);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean down = false;
        Map<String, Object> consumers = new LinkedHashMap<>();
        for (Map.Entry<String, AckflowEngine> entry : this.engines.get().entrySet()) {
            ConsumerHealth health = new ConsumerHealth(entry.getValue(), limits(entry.getKey()));
            down |= health.down();
            consumers.put(entry.getKey(), health.details());
        }
        (down ? builder.down() : builder.up()).withDetail("consumers", consumers);
    }

}
