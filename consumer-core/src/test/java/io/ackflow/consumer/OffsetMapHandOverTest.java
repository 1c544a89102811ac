package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records acked above a gap are handed over in the commit's offset map: a partition revoked
 * while one record is held, then assigned to a fresh engine, gets exactly the held record (and
 * what was never acked) dispatched again, on MockConsumer with a clock the test moves.
 */
class OffsetMapHandOverTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private final MutableClock clock = new MutableClock();

    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    @Test
    void aFreshOwnerIsHandedOnlyTheRecordsThePreviousOneDidNotAck() {
        RecordingConsumer first = new RecordingConsumer();
        PollLoop before = loop(first, (config) -> config.rebalanceDrainTimeout(Duration.ZERO));
        first.assignAtZero(P0);
        add(first, 0, 10);
        before.runOnce();
        for (long offset : new long[] { 0, 1, 3, 4, 5, 7, 8 }) {
            this.inFlight.get("0@" + offset).complete(null);
        }
        first.rebalance(List.of());
        OffsetAndMetadata handedOver = first.lastCommitted(P0);
        assertThat(handedOver.offset()).as("2 is still held").isEqualTo(2);
        assertThat(handedOver.metadata()).startsWith(io.ackflow.consumer.commit.OffsetMapCodec.PREFIX);

        RecordingConsumer second = new RecordingConsumer();
        this.seen.clear();
        this.inFlight.clear();
        AckflowEngine[] engine = new AckflowEngine[1];
        PollLoop after = loop(second, (config) -> config, engine);
        second.commitSync(Map.of(P0, handedOver)); // after subscribe, which clears MockConsumer's commits
        second.assignAtZero(P0);
        add(second, 2, 10);
        after.runOnce();
        assertThat(this.seen).as("2 was held, 6 and 9 never acked, 10 and 11 are new")
            .containsExactly("0@2", "0@6", "0@9", "0@10", "0@11");
        assertThat(engine[0].stats().alreadyAcked()).isEqualTo(5);
        this.inFlight.values().forEach((future) -> future.complete(null));
        this.clock.advance(Duration.ofSeconds(5));
        after.runOnce();
        assertThat(second.committed(Set.of(P0)).get(P0)).isEqualTo(new OffsetAndMetadata(12, ""));
    }

    @Test
    void withOffsetMapsOffTheFreshOwnerReadsEverythingFromTheCommittedOffset() {
        RecordingConsumer first = new RecordingConsumer();
        PollLoop before = loop(first, (config) -> config.rebalanceDrainTimeout(Duration.ZERO).offsetMaps(false));
        first.assignAtZero(P0);
        add(first, 0, 5);
        before.runOnce();
        for (long offset : new long[] { 0, 2, 3, 4 }) {
            this.inFlight.get("0@" + offset).complete(null);
        }
        first.rebalance(List.of());
        OffsetAndMetadata handedOver = first.lastCommitted(P0);
        assertThat(handedOver).isEqualTo(new OffsetAndMetadata(1, ""));

        RecordingConsumer second = new RecordingConsumer();
        this.seen.clear();
        PollLoop after = loop(second, (config) -> config.offsetMaps(false));
        second.commitSync(Map.of(P0, first.lastCommitted(P0)));
        second.assignAtZero(P0);
        add(second, 1, 4);
        after.runOnce();
        assertThat(this.seen).containsExactly("0@1", "0@2", "0@3", "0@4");
    }

    @Test
    void metadataThatIsNotAnOffsetMapIsIgnored() {
        RecordingConsumer consumer = new RecordingConsumer();
        PollLoop loop = loop(consumer, (config) -> config);
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(3, "deployed by release 42")));
        consumer.assignAtZero(P0);
        add(consumer, 3, 3);
        loop.runOnce();
        assertThat(this.seen).containsExactly("0@3", "0@4", "0@5");
    }

    private PollLoop loop(RecordingConsumer consumer, java.util.function.UnaryOperator<EngineConfig.Builder> config) {
        return loop(consumer, config, new AckflowEngine[1]);
    }

    private PollLoop loop(RecordingConsumer consumer, java.util.function.UnaryOperator<EngineConfig.Builder> config,
            AckflowEngine[] built) {
        AckflowEngine engine = AckflowEngine.builder()
            .consumerFactory(() -> consumer)
            .config(config.apply(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))).build())
            .subscription(Subscription.builder("s").topics("orders").ordering(Ordering.UNORDERED).concurrency(100)
                .handler((record) -> {
                    String id = record.partition() + "@" + record.offset();
                    this.seen.add(id);
                    return this.inFlight.computeIfAbsent(id, (k) -> new CompletableFuture<>());
                })
                .build())
            .build();
        built[0] = engine;
        PollLoop loop = engine.newLoop(consumer, Runnable::run);
        loop.subscribe();
        return loop;
    }

    private static void add(RecordingConsumer consumer, long from, int count) {
        for (long offset = from; offset < from + count; offset++) {
            consumer.add("orders", 0, offset, "k", "v");
        }
    }

}
