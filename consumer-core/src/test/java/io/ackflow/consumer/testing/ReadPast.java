package io.ackflow.consumer.testing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What kafka-clients' {@code MockConsumer} cannot do by itself: a poll that reads past offsets it
 * delivers no record for (a transaction marker, an aborted transaction's records, a compacted
 * tail). A real consumer then moves its position past them and says so in
 * {@link ConsumerRecords#nextOffsets()}, also when the poll returns no record; this rebuilds a
 * mock's poll result the same way. The caller moves the mock's position.
 */
public final class ReadPast {

    private ReadPast() {
    }

    /**
     * {@code polled} with {@code positions} among its next offsets: each partition's position
     * after the poll, past the records it returned.
     */
    public static <K, V> ConsumerRecords<K, V> withPositions(ConsumerRecords<K, V> polled,
            Map<TopicPartition, Long> positions) {
        if (positions.isEmpty()) {
            return polled;
        }
        Map<TopicPartition, List<ConsumerRecord<K, V>>> records = new HashMap<>();
        for (TopicPartition partition : polled.partitions()) {
            records.put(partition, polled.records(partition));
        }
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>(polled.nextOffsets());
        positions.forEach((partition, position) -> next.put(partition, new OffsetAndMetadata(position)));
        return new ConsumerRecords<>(records, next);
    }

}
