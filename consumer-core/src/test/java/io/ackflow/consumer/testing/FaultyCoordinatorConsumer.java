package io.ackflow.consumer.testing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;

/**
 * kafka-clients' {@link MockConsumer} with a group coordinator that a test can make unreachable:
 * while {@link #failCommits} is on, every commit fails without committing (as a real consumer's
 * do when its coordinator is gone), and the consumer reports in its metrics the
 * {@code consumer-coordinator-metrics} {@code last-heartbeat-seconds-ago} that the test sets
 * (-1, "no heartbeat yet", until it does) and the {@code consumer-metrics}
 * {@code connection-count} it sets (1 until it does), as a real consumer does with either group
 * protocol.
 * <p>
 * Threads: the engine's poll thread calls the consumer; the test thread switches the faults.
 */
public final class FaultyCoordinatorConsumer extends MockConsumer<byte[], byte[]> {

    private final Map<MetricName, Metric> metrics;

    private volatile RuntimeException commitFailure;

    private volatile int connections = 1;

    /** Commits asked for, failed or not. */
    private final AtomicInteger commits = new AtomicInteger();

    /** Set while {@code commitSync} runs: MockConsumer's goes through {@code commitAsync}. */
    private boolean inCommitSync;

    private volatile double heartbeatSecondsAgo = -1;

    public FaultyCoordinatorConsumer() {
        super("earliest");
        this.metrics = Map.ofEntries(
                metric("last-heartbeat-seconds-ago", "consumer-coordinator-metrics", () -> this.heartbeatSecondsAgo),
                metric("connection-count", "consumer-metrics", () -> (double) this.connections));
    }

    /** Assigns the partitions as a group rebalance would, each starting at offset 0. */
    public void assignAtZero(TopicPartition... partitions) {
        Map<TopicPartition, Long> beginning = new HashMap<>();
        for (TopicPartition partition : partitions) {
            beginning.put(partition, 0L);
        }
        updateBeginningOffsets(beginning);
        rebalance(List.of(partitions));
    }

    /**
     * From now on every commit fails as it does when the coordinator cannot be found: with a
     * {@link RetriableCommitFailedException} caused by a {@link CoordinatorNotAvailableException}.
     */
    public void failCommits() {
        failCommits(new RetriableCommitFailedException(
                new CoordinatorNotAvailableException("The coordinator is not available.")));
    }

    /** From now on every commit fails with {@code failure}. */
    public void failCommits(RuntimeException failure) {
        this.commitFailure = failure;
    }

    /** Commits succeed again. */
    public void commitsSucceed() {
        this.commitFailure = null;
    }

    /** What the heartbeat metric reads from now on: whole seconds since the last heartbeat, -1 for none. */
    public void heartbeatSecondsAgo(double seconds) {
        this.heartbeatSecondsAgo = seconds;
    }

    /** What the connection count reads from now on. */
    public void connections(int connections) {
        this.connections = connections;
    }

    private static Map.Entry<MetricName, Metric> metric(String name, String group, DoubleSupplier value) {
        MetricName metricName = new MetricName(name, group, "", Map.of("client-id", "test"));
        return Map.entry(metricName, new Metric() {

            @Override
            public MetricName metricName() {
                return metricName;
            }

            @Override
            public Object metricValue() {
                return value.getAsDouble();
            }

        });
    }

    @Override
    public synchronized Map<MetricName, ? extends Metric> metrics() {
        return this.metrics;
    }

    /**
     * Commits answered so far, failed or not (each counted once its callback has run or
     * {@code commitSync} has returned): a test waits for the one it expects.
     */
    public int commitAttempts() {
        return this.commits.get();
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        try {
            RuntimeException failure = this.commitFailure;
            if (failure != null && callback != null) {
                callback.onComplete(offsets, failure);
                return;
            }
            super.commitAsync(offsets, callback);
        }
        finally {
            if (!this.inCommitSync) {
                this.commits.incrementAndGet();
            }
        }
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        this.inCommitSync = true;
        try {
            RuntimeException failure = this.commitFailure;
            if (failure != null) {
                throw failure;
            }
            super.commitSync(offsets);
        }
        finally {
            this.inCommitSync = false;
            this.commits.incrementAndGet();
        }
    }

}
