package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic back, as raw bytes, for the assertions of broker tests. */
final class TopicReader {

    private TopicReader() {
    }

    /**
     * Every record of {@code topic}: reads until {@code expected} arrived and then three empty
     * polls more, so that extra records would be seen too; gives up after 30 s.
     */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrapServers, String topic, int expected) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "verify-" + topic, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int emptyPollsAfterAll = 0;
            while (System.nanoTime() < deadline && emptyPollsAfterAll < 3) {
                var batch = consumer.poll(Duration.ofMillis(500));
                batch.forEach(records::add);
                if (records.size() >= expected && batch.isEmpty()) {
                    emptyPollsAfterAll++;
                }
            }
        }
        return records;
    }

}
