package io.ackflow.spring.actuate;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code ackflow.*} meters and the health indicator over an engine on kafka-clients'
 * MockConsumer, with a clock the test moves: 100 records over two partitions, three handler
 * failures and one record held by a blocked handler until its partition is stuck.
 */
class AckflowMetersTests {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private final MutableClock clock = new MutableClock();

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private final AckflowMeterBinder binder = new AckflowMeterBinder(this.registry);

    private final CountDownLatch release = new CountDownLatch(1);

    private AckflowEngine engine;

    @AfterEach
    void stop() throws InterruptedException {
        this.release.countDown();
        if (this.engine != null) {
            this.engine.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void metersCountRecordsFailuresAndTimingsAndReportTheStuckPartition() {
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("ackflow.records.acked") == 99);
        this.clock.advance(Duration.ofSeconds(2));
        // The commit and the snapshot that shows it follow the engine's clock: move it along.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            this.clock.advance(Duration.ofMillis(100));
            return gauge("ackflow.partition.committed.offset", P1) == 30 && gauge("ackflow.partition.committed.offset", P0) == 50;
        });

        assertThat(counter("ackflow.records.received")).isEqualTo(100);
        assertThat(counter("ackflow.records.handled")).isEqualTo(96);
        assertThat(counter("ackflow.records.failed")).isEqualTo(3);
        assertThat(counter("ackflow.records.retried")).isZero();
        assertThat(counter("ackflow.records.dead.lettered")).isZero();
        assertThat(this.registry.get("ackflow.handler.duration").tags("subscription", "charge", "outcome", "success")
            .timer().count()).isEqualTo(96);
        assertThat(this.registry.get("ackflow.handler.duration").tags("subscription", "charge", "outcome", "failure")
            .timer().count()).isEqualTo(3);
        assertThat(this.registry.get("ackflow.commit.latency").tags("outcome", "success").timer().count())
            .isGreaterThanOrEqualTo(1);
        assertThat(gauge("ackflow.partition.committed.offset", P0)).isEqualTo(50);
        assertThat(gauge("ackflow.partition.committable.offset", P1)).isEqualTo(30);
        assertThat(gauge("ackflow.partition.in.flight", P1)).as("offsets 30 to 49 wait for 30").isEqualTo(20);
        assertThat(gauge("ackflow.partition.in.flight", P0)).isZero();
        assertThat(gauge("ackflow.partition.commit.lag", P0)).isZero();
        assertThat(this.registry.get("ackflow.subscription.in.flight").tag("subscription", "charge").gauge().value())
            .as("the blocked record").isEqualTo(1);
        assertThat(this.registry.get("ackflow.rebalances").tag("event", "assigned").counter().count()).isEqualTo(1);
        assertThat(this.registry.get("ackflow.partitions.stuck").gauge().value()).isZero();

        this.clock.advance(Duration.ofSeconds(11));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            this.clock.advance(Duration.ofMillis(100));
            return this.registry.get("ackflow.partitions.stuck").gauge().value() == 1;
        });
        assertThat(counter("ackflow.stuck.reports")).isEqualTo(1);
        assertThat(this.registry.get("ackflow.partition.oldest.pending.age").tags("partition", "1").timeGauge()
            .value(TimeUnit.SECONDS)).isGreaterThanOrEqualTo(11);
        assertThat(this.registry.get("ackflow.partition.paused").tags("partition", "1", "reason", "user").gauge().value())
            .isZero();
    }

    @Test
    void metersOfARevokedPartitionAreRemovedAndTheOthersStay() {
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("ackflow.records.acked") == 99);
        assertThat(this.binder.partitionsWithMeters("orders-consumer")).containsExactlyInAnyOrder(P0, P1);
        this.consumer.schedulePollTask(() -> this.consumer.rebalance(List.of(P0)));
        await().atMost(Duration.ofSeconds(20)).until(() -> this.binder.partitionsWithMeters("orders-consumer").size() == 1);
        assertThat(this.binder.partitionsWithMeters("orders-consumer")).containsExactly(P0);
        assertThat(this.registry.find("ackflow.partition.in.flight").tag("partition", "1").gauges()).isEmpty();
        assertThat(this.registry.find("ackflow.partition.paused").tag("partition", "1").gauges()).isEmpty();
        assertThat(this.registry.find("ackflow.partition.in.flight").tag("partition", "0").gauges()).hasSize(1);
        assertThat(this.registry.get("ackflow.rebalances").tag("event", "revoked").counter().count()).isEqualTo(1);
    }

    @Test
    void healthIsDownWhileAPartitionIsStuckAndUpOnceItMovesAgain() {
        AckflowHealthIndicator health = new AckflowHealthIndicator(() -> Map.of("orders-consumer", this.engine));
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("ackflow.records.acked") == 99);
        assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);

        this.clock.advance(Duration.ofSeconds(11));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            this.clock.advance(Duration.ofMillis(100));
            return health.health(true).getStatus().equals(Status.DOWN);
        });
        Health down = health.health(true);
        assertThat(down.getDetails()).extractingByKey("consumers").asString()
            .contains("stuckPartitions", "partition=orders-1", "offset=30", "heldBy=[charge]");

        this.release.countDown();
        // The snapshot is published every half second of the engine's clock: move it along.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            this.clock.advance(Duration.ofMillis(600));
            return health.health(true).getStatus().equals(Status.UP);
        });
        assertThat(counter("ackflow.records.acked")).isEqualTo(100);
    }

    @Test
    void healthIsDownWhenThePollThreadDiesAndUpForItsReplacement() throws Exception {
        AckflowEngine[] current = new AckflowEngine[1];
        AckflowHealthIndicator health = new AckflowHealthIndicator(() -> Map.of("orders-consumer", current[0]));
        current[0] = start();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("ackflow.records.acked") == 99);
        this.consumer.setPollException(new KafkaException("the broker went away"));
        await().atMost(Duration.ofSeconds(10)).until(() -> this.engine.state() == EngineState.FAILED);
        Health down = health.health(true);
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(down.getDetails()).extractingByKey("consumers").asString()
            .contains("state=FAILED", "failure=org.apache.kafka.common.KafkaException: the broker went away");

        this.release.countDown();
        AckflowEngine stopped = AckflowEngine.builder().name("orders-consumer")
            .consumerFactory(() -> new MockConsumer<>("earliest"))
            .subscription(Subscription.builder("charge").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> { })).build())
            .build();
        stopped.stop();
        current[0] = stopped;
        assertThat(health.health(true).getStatus()).as("stopped on purpose is not down").isEqualTo(Status.UP);
    }

    @Test
    void batchSubscriptionsReportTheSizeAndDurationOfEachBatch() {
        Subscription<byte[], byte[]> bulk = Subscription.builder("bulk").topics("orders")
            .batching(io.ackflow.consumer.Batching.of(20, Duration.ofMillis(100)))
            .batchHandler(io.ackflow.consumer.BatchHandler.<byte[], byte[]>blocking((records) -> {
                if (records.get(0).offset() == 40) {
                    throw new org.apache.kafka.common.errors.SerializationException("bulk insert refused");
                }
            }))
            .build();
        AckflowEngine.Builder builder = AckflowEngine.builder().name("orders-consumer")
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).shutdownTimeout(Duration.ofSeconds(1)).build())
            .subscription(bulk);
        this.binder.customize("orders-consumer", List.of(bulk), builder, () -> this.engine);
        this.engine = builder.build();
        this.consumer.schedulePollTask(() -> {
            this.consumer.updateBeginningOffsets(Map.of(P0, 0L));
            this.consumer.rebalance(List.of(P0));
            for (int offset = 0; offset < 50; offset++) {
                this.consumer.addRecord(new ConsumerRecord<>("orders", 0, offset, null, ("a" + offset).getBytes()));
            }
        });
        this.engine.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("ackflow.records.handled") == 40);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            this.clock.advance(Duration.ofMillis(50));
            return this.engine.stats().acked() == 50;
        });

        io.micrometer.core.instrument.DistributionSummary sizes = this.registry.get("ackflow.batch.size")
            .tag("subscription", "bulk").summary();
        assertThat(sizes.count()).as("20, 20, then the last 10 (failed, not retried)").isEqualTo(3);
        assertThat(sizes.totalAmount()).isEqualTo(50);
        assertThat(sizes.max()).isEqualTo(20);
        assertThat(this.registry.get("ackflow.batch.duration").tags("subscription", "bulk", "outcome", "success")
            .timer().count()).isEqualTo(2);
        assertThat(this.registry.get("ackflow.batch.duration").tags("subscription", "bulk", "outcome", "failure")
            .timer().count()).isEqualTo(1);
        assertThat(counter("ackflow.records.failed")).isEqualTo(10);
    }

    private AckflowEngine start() {
        Subscription<byte[], byte[]> charge = Subscription.builder("charge").topics("orders").ordering(Ordering.UNORDERED)
            .concurrency(4)
            .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                String id = record.partition() + "@" + record.offset();
                if (id.equals("0@10") || id.equals("0@20") || id.equals("1@5")) {
                    throw new IllegalStateException("charge failed on " + id);
                }
                if (id.equals("1@30")) {
                    this.release.await();
                }
            }))
            .build();
        AckflowEngine.Builder builder = AckflowEngine.builder().name("orders-consumer")
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(1))
                .commitLivelockSoftTimeout(Duration.ofSeconds(10)).handlerThreads(4).virtualThreads(false)
                .rebalanceDrainTimeout(Duration.ofMillis(200))
                .shutdownTimeout(Duration.ofSeconds(1)).build())
            .subscription(charge);
        this.binder.customize("orders-consumer", List.of(charge), builder, () -> this.engine);
        this.engine = builder.build();
        this.consumer.schedulePollTask(() -> {
            Map<TopicPartition, Long> beginning = new HashMap<>();
            beginning.put(P0, 0L);
            beginning.put(P1, 0L);
            this.consumer.updateBeginningOffsets(beginning);
            this.consumer.rebalance(List.of(P0, P1));
            for (int offset = 0; offset < 50; offset++) {
                this.consumer.addRecord(new ConsumerRecord<>("orders", 0, offset, null, ("a" + offset).getBytes()));
                this.consumer.addRecord(new ConsumerRecord<>("orders", 1, offset, null, ("b" + offset).getBytes()));
            }
        });
        this.engine.start();
        return this.engine;
    }

    private long counter(String name) {
        return (long) this.registry.get(name).functionCounter().count();
    }

    private double gauge(String name, TopicPartition partition) {
        return this.registry.get(name).tags("topic", partition.topic(), "partition", Integer.toString(partition.partition()))
            .gauge().value();
    }

}
