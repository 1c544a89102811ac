package io.ackflow.consumer.dispatch;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/** Deliveries of raw records on topic {@code t} to one subscription, {@code s}, as the conductor makes them. */
final class Deliveries {

    private Deliveries() {
    }

    /** Tracks the record at {@code offset} of {@code tracker}'s partition, with {@code key} (or none). */
    static TrackedRecord track(OffsetTracker tracker, long offset, String key, TrackedRecord.AckListener listener) {
        TopicPartition partition = tracker.partition();
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>(partition.topic(), partition.partition(), offset,
                (key != null) ? key.getBytes() : null, new byte[0]);
        return tracker.track(raw, new String[] { "s" }, listener);
    }

    /** The delivery of a tracked record to a subscription that reads raw bytes. */
    @SuppressWarnings("unchecked")
    static Delivery of(TrackedRecord tracked) {
        return new Delivery(tracked, 0, (ConsumerRecord<Object, Object>) (ConsumerRecord<?, ?>) tracked.raw());
    }

    /** A tracker of partition {@code partition} of topic {@code t}. */
    static OffsetTracker tracker(int partition) {
        return new OffsetTracker(new TopicPartition("t", partition));
    }

}
