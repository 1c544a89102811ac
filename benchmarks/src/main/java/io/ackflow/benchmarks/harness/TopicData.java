package io.ackflow.benchmarks.harness;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces a benchmark topic once, before any arm runs: {@code records} records with keys
 * {@code key-0} to {@code key-<keys-1>} in turn and the payload's values, uncompressed, so that
 * reading them costs every arm the same. Returns the topic with its per-partition record counts.
 */
final class TopicData {

    private final String bootstrap;

    private final Admin admin;

    TopicData(String bootstrap, Admin admin) {
        this.bootstrap = bootstrap;
        this.admin = admin;
    }

    Topic produce(Payload payload, int keys, int records, int partitions) throws Exception {
        String name = "bench-" + payload.label + "-k" + keys;
        Set<String> existing = this.admin.listTopics().names().get(30, TimeUnit.SECONDS);
        if (!existing.contains(name)) {
            this.admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        byte[][] values = payload.recordValues();
        byte[][] keyBytes = new byte[keys][];
        for (int k = 0; k < keys; k++) {
            keyBytes[k] = ("key-" + k).getBytes(StandardCharsets.UTF_8);
        }
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024, ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(name, keyBytes[i % keys], values[i % values.length]));
            }
            producer.flush();
        }
        long[] counts = endOffsets(name, partitions);
        Topic topic = new Topic(name, payload, keys, counts);
        System.out.printf("produced %,d records over %,d keys to %s in %.1f s: %s%n", topic.total(), keys, name,
                (System.nanoTime() - start) / 1e9, Payload.describe(values));
        if (topic.total() < records) {
            throw new IllegalStateException(name + " holds " + topic.total() + " records, not " + records);
        }
        return topic;
    }

    private long[] endOffsets(String name, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = java.util.stream.IntStream.range(0, partitions)
            .boxed()
            .collect(Collectors.toMap((p) -> new TopicPartition(name, p), (p) -> OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = this.admin.listOffsets(latest)
            .all()
            .get(30, TimeUnit.SECONDS);
        long[] counts = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            counts[p] = ends.get(new TopicPartition(name, p)).offset();
        }
        return counts;
    }

}
