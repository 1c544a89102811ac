package io.ackflow.spring.actuate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.spring.StreamListenerRegistry;

/**
 * Health of the Ackflow consumers: DOWN when a consumer's engine died (its poll thread ended on
 * an error, or a listener's {@code stop} recovery stopped it) or when a partition is stuck past
 * {@code ackflow.commit-livelock-soft-timeout}; UP otherwise, also for a consumer stopped on
 * purpose or not started. The details name each consumer's state, its failure and its stuck
 * partitions, each with the offset, the listeners holding it and the handler thread. Reads the snapshot the poll thread publishes; never calls a consumer.
 */
public class AckflowHealthIndicator extends AbstractHealthIndicator {

    private final Supplier<Map<String, AckflowEngine>> engines;

    /** @param engines the current engine of each consumer, by consumer name ({@link StreamListenerRegistry#getEngines()}) */
    public AckflowHealthIndicator(Supplier<Map<String, AckflowEngine>> engines) {
        super("Ackflow health check failed");
        this.engines = engines;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean down = false;
        Map<String, Object> consumers = new LinkedHashMap<>();
        for (Map.Entry<String, AckflowEngine> entry : this.engines.get().entrySet()) {
            AckflowEngine engine = entry.getValue();
            Map<String, Object> details = new LinkedHashMap<>();
            EngineState state = engine.state();
            details.put("state", state.name());
            if (state == EngineState.FAILED) {
                down = true;
                Throwable failure = engine.failure();
                details.put("failure", (failure != null) ? failure.toString() : "unknown");
            }
            if (state == EngineState.RUNNING) {
                List<Map<String, Object>> stuck = new ArrayList<>();
                for (PartitionSnapshot partition : engine.snapshot().stuckPartitions()) {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("partition", partition.partition().toString());
                    one.put("offset", partition.oldestPendingOffset());
                    one.put("heldBy", partition.oldestPendingHolders());
                    one.put("runningSince", String.valueOf(partition.oldestPendingStartedAt()));
                    one.put("thread", partition.oldestPendingThread());
                    stuck.add(one);
                }
                if (!stuck.isEmpty()) {
                    down = true;
                    details.put("stuckPartitions", stuck);
                }
            }
            consumers.put(entry.getKey(), details);
        }
        (down ? builder.down() : builder.up()).withDetail("consumers", consumers);
    }

}
