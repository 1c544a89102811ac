package io.ackflow.consumer.state;

import java.util.HashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last heartbeat read from kafka-clients' whole-second metric: never later than the real
 * send, and closer to it with every reading; unknown without the metric or before the first. The
 * connections the consumer holds, read alongside.
 */
class CoordinatorWatchTest {

    private final Map<MetricName, Metric> metrics = new HashMap<>();

    private final CoordinatorWatch watch = new CoordinatorWatch(() -> this.metrics);

    private double secondsAgo = -1;

    private double connections;

    @Test
    void aConsumerWithoutTheMetricDoesNotReportHeartbeats() {
        this.watch.read(10_000);

        assertThat(this.watch.reported()).isFalse();
        assertThat(this.watch.lastHeartbeatAt()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void beforeTheFirstHeartbeatTheMetricIsReportedButNoHeartbeatIsKnown() {
        report("consumer-coordinator-metrics");

        this.watch.read(10_000);

        assertThat(this.watch.reported()).isTrue();
        assertThat(this.watch.lastHeartbeatAt()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void eachReadingBoundsTheSendFromBelowAndTheLatestBoundIsKept() {
        report("consumer-coordinator-metrics");
        // A heartbeat sent at 10,300 ms: the metric reads 0 until 11,300, then 1, 2, ...
        this.secondsAgo = 0;
        this.watch.read(10_500);
        assertThat(this.watch.lastHeartbeatAt()).as("sent after 9,500 at the earliest").isEqualTo(9_501);
        this.watch.read(11_000);
        assertThat(this.watch.lastHeartbeatAt()).isEqualTo(10_001);

        this.secondsAgo = 1;
        this.watch.read(11_500);
        assertThat(this.watch.lastHeartbeatAt()).as("11,500 - 2 s is earlier: the bound stays").isEqualTo(10_001);

        this.secondsAgo = 9;
        this.watch.read(19_500);
        assertThat(this.watch.lastHeartbeatAt()).as("no heartbeat since: it stays").isEqualTo(10_001);

        this.secondsAgo = 0;
        this.watch.read(20_000);
        assertThat(this.watch.lastHeartbeatAt()).as("a heartbeat again").isEqualTo(19_001);
    }

    @Test
    void theConnectionsAreReadAtEachReadingAndUnknownWithoutTheMetric() {
        this.watch.read(10_000);
        assertThat(this.watch.connections()).isEqualTo(-1);

        MetricName name = new MetricName("connection-count", "consumer-metrics", "", Map.of("client-id", "c-1"));
        this.metrics.put(name, metric(name, () -> this.connections));
        this.connections = 2;
        this.watch.read(10_500);
        assertThat(this.watch.connections()).isEqualTo(2);

        this.connections = 0;
        this.watch.read(11_000);
        assertThat(this.watch.connections()).isZero();
    }

    @Test
    void onlyTheCoordinatorGroupsMetricCounts() {
        report("consumer-share-coordinator-metrics");
        this.secondsAgo = 0;

        this.watch.read(10_000);

        assertThat(this.watch.reported()).isFalse();
    }

    private void report(String group) {
        MetricName name = new MetricName("last-heartbeat-seconds-ago", group, "", Map.of("client-id", "c-1"));
        this.metrics.put(name, metric(name, () -> this.secondsAgo));
    }

    private static Metric metric(MetricName name, DoubleSupplier value) {
        return new Metric() {

            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return value.getAsDouble();
            }

        };
    }

}
