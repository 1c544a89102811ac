package io.ackflow.consumer.state;

import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * When the consumer last sent a heartbeat to its group coordinator, from kafka-clients' own
 * metric {@value #NAME} of group {@value #GROUP}. Both group protocols report it (kafka-clients
 * 4.2: the classic protocol's {@code AbstractCoordinator}, the consumer protocol's
 * {@code HeartbeatMetricsManager}): whole seconds since the last heartbeat was <em>sent</em>,
 * or -1 before the first. A heartbeat is sent only while the coordinator is known, and the
 * consumer forgets its coordinator when a request to it fails (the broker is gone) or when no
 * heartbeat was answered within the session timeout, so the metric grows while the
 * coordinator cannot be reached.
 * <p>
 * Whole seconds are coarse, so each reading {@code v} at {@code now} bounds the send from below
 * at {@code now - (v + 1) s + 1 ms}, and the watch keeps the latest bound it has read: never
 * later than the real send, and as close to it as the time between two readings.
 * <p>
 * Under the classic protocol a member also sends no heartbeat while its JoinGroup waits for the
 * other members, which can last up to the rebalance timeout; its connections stay open then. So
 * the watch reads too how many connections the consumer holds open ({@value #CONNECTIONS} of
 * {@value #CONNECTIONS_GROUP}; connections being set up count), for readers to tell a consumer
 * that reaches no broker at all from one waiting in a rebalance.
 * <p>
 * Threads: the poll thread alone; reading the consumer's metrics is the consumer's owner's
 * business. It reads once per snapshot, every half second.
 */
public final class CoordinatorWatch {

    /** The metric group of kafka-clients' consumer coordinator metrics. */
    public static final String GROUP = "consumer-coordinator-metrics";

    /** Whole seconds since the last heartbeat was sent, -1 before the first. */
    public static final String NAME = "last-heartbeat-seconds-ago";

    /** The metric group of the consumer's network client. */
    public static final String CONNECTIONS_GROUP = "consumer-metrics";

    /** The connections the consumer's network client holds, open or being opened. */
    public static final String CONNECTIONS = "connection-count";

    private final Supplier<Map<MetricName, ? extends Metric>> metrics;

    /** The metrics once found; the consumer keeps the same objects for its life. */
    private Metric metric;

    private Metric connectionsMetric;

    /** Clock millis of the latest lower bound of the last heartbeat; MIN_VALUE before one. */
    private long lastHeartbeatAt = Long.MIN_VALUE;

    /** Connections at the last reading, or -1 when not reported. */
    private int connections = -1;

    /** @param metrics the consumer's metrics ({@code consumer::metrics}) */
    public CoordinatorWatch(Supplier<Map<MetricName, ? extends Metric>> metrics) {
        this.metrics = metrics;
    }

    /** Reads the metric at {@code now} (clock millis). Poll thread. */
    public void read(long now) {
        find();
        this.connections = (this.connectionsMetric != null
                && this.connectionsMetric.metricValue() instanceof Number count) ? count.intValue() : -1;
        Metric found = this.metric;
        if (found == null || !(found.metricValue() instanceof Number value) || value.doubleValue() < 0) {
            return;
        }
        long secondsAgo = (long) value.doubleValue();
        this.lastHeartbeatAt = Math.max(this.lastHeartbeatAt, now - (secondsAgo + 1) * 1000 + 1);
    }

    /** Whether the consumer reports its heartbeats. Poll thread. */
    public boolean reported() {
        return this.metric != null;
    }

    /** Clock millis no later than the last heartbeat sent, or MIN_VALUE before the first. Poll thread. */
    public long lastHeartbeatAt() {
        return this.lastHeartbeatAt;
    }

    /** The connections the consumer held at the last reading, or -1 when it does not report them. Poll thread. */
    public int connections() {
        return this.connections;
    }

    private void find() {
        if (this.metric != null && this.connectionsMetric != null) {
            return;
        }
        try {
            for (Map.Entry<MetricName, ? extends Metric> entry : this.metrics.get().entrySet()) {
                MetricName name = entry.getKey();
                if (GROUP.equals(name.group()) && NAME.equals(name.name())) {
                    this.metric = entry.getValue();
                }
                else if (CONNECTIONS_GROUP.equals(name.group()) && CONNECTIONS.equals(name.name())) {
                    this.connectionsMetric = entry.getValue();
                }
            }
        }
        catch (RuntimeException closed) {
            // A consumer that is closing has no metrics to tell; the next reading looks again.
        }
    }

}
