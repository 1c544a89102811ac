package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Batch subscriptions of the engine against a real KRaft broker: a partial batch handed over
 * when the engine's clock passes its max-wait, and key order kept under {@code KEY} while
 * batches of different keys run at once.
 */
class BatchEngineBrokerIT {

    private static final int PARTITIONS = 4;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(PARTITIONS, "trickle", "keyed");

    @Test
    void aPartialBatchIsHandedOverWhenTheClockPassesItsMaxWait() throws Exception {
        broker.produce(5, (i) -> new ProducerRecord<>("trickle", 0, "k" + i, "v" + i));
        MutableClock clock = new MutableClock();
        List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
        AckflowEngine engine = AckflowEngine.builder()
            .name("trickle-it")
            .consumerFactory(() -> new KafkaConsumer<>(broker.consumerProperties("trickle-it"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().clock(clock).commitInterval(Duration.ofSeconds(1))
                .pollTimeout(Duration.ofMillis(50)).build())
            .subscription(Subscription.builder("bulk").topics("trickle")
                .valueDeserializer(new StringDeserializer())
                .batching(Batching.of(1000, Duration.ofHours(1)))
                .batchHandler(BatchHandler.<byte[], String>blocking((records) -> batches
                    .add(records.stream().map(ConsumerRecord::value).toList())))
                .build())
            .build();
        engine.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> engine.stats().received() == 5);
            assertThat(batches).as("the clock has not moved: the batch of 5 waits for more").isEmpty();
            clock.advance(Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> !batches.isEmpty());
            assertThat(batches).containsExactly(List.of("v0", "v1", "v2", "v3", "v4"));
            BrokerOffsets offsets = broker.offsets();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                clock.advance(Duration.ofSeconds(1));
                return Long.valueOf(5).equals(offsets.committedOffsets("trickle-it").get(new TopicPartition("trickle", 0)));
            });
        }
        finally {
            engine.stop();
        }
        assertThat(batches).hasSize(1);
    }

    @Test
    void underKeyOrderingEachKeysRecordsAreHandledInOffsetOrderAndNeverInTwoBatchesAtOnce() throws Exception {
        int records = 5_000;
        int keys = 40;
        broker.produce(records, (i) -> new ProducerRecord<>("keyed", "key-" + (i % keys), Integer.toString(i)));
        Map<String, List<Integer>> sequences = new ConcurrentHashMap<>();
        Set<String> running = ConcurrentHashMap.newKeySet();
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        AckflowEngine engine = AckflowEngine.builder()
            .name("keyed-it")
            .consumerFactory(() -> new KafkaConsumer<>(broker.consumerProperties("keyed-it"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().commitInterval(Duration.ofMillis(200)).build())
            .subscription(Subscription.builder("bulk").topics("keyed").ordering(Ordering.KEY)
                .concurrency(8)
                .keyDeserializer(new StringDeserializer())
                .valueDeserializer(new StringDeserializer())
                .batching(Batching.of(50, Duration.ofMillis(20)))
                .batchHandler((batch) -> {
                    sizes.add(batch.size());
                    Set<String> mine = new java.util.HashSet<>();
                    for (ConsumerRecord<String, String> record : batch) {
                        if (mine.add(record.key()) && !running.add(record.key())) {
                            violations.add("key " + record.key() + " in two running batches at " + record.offset());
                        }
                        sequences.computeIfAbsent(record.key(), (k) -> Collections.synchronizedList(new ArrayList<>()))
                            .add(Integer.parseInt(record.value()));
                    }
                    return CompletableFuture.runAsync(() -> running.removeAll(mine),
                            CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextLong(0, 3),
                                    TimeUnit.MILLISECONDS));
                })
                .build())
            .build();
        engine.start();
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end("keyed", PARTITIONS);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> offsets.committedOffsets("keyed-it").entrySet().containsAll(end.entrySet()));
        }
        finally {
            engine.stop();
        }
        assertThat(violations).isEmpty();
        assertThat(sizes).allSatisfy((size) -> assertThat(size).isBetween(1, 50));
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(records);
        assertThat(sequences).hasSize(keys);
        sequences.forEach((key, values) -> {
            int k = Integer.parseInt(key.substring("key-".length()));
            List<Integer> expected = new ArrayList<>();
            for (int n = k; n < records; n += keys) {
                expected.add(n);
            }
            assertThat(values).as("values of " + key + " in order, each once").containsExactlyElementsOf(expected);
        });
    }

}
