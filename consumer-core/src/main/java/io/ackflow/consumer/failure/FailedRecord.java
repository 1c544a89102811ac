package io.ackflow.consumer.failure;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record one subscription failed on, as its recovery sees it.
 *
 * @param subscriptionId the subscription that failed
 * @param raw the record as fetched: raw key and value bytes, headers, coordinates
 * @param cause why: the handler's exception, or a
 * {@link org.apache.kafka.common.errors.RecordDeserializationException} for a record that could
 * not be deserialized
 * @param attempts how many times the handler was called on it (0 when it could not be deserialized)
 */
public record FailedRecord(String subscriptionId, ConsumerRecord<byte[], byte[]> raw, Throwable cause, int attempts) {

    /** The record's coordinates, {@code topic-partition@offset}: never its key or value. */
    public String coordinates() {
        return this.raw.topic() + "-" + this.raw.partition() + "@" + this.raw.offset();
    }

    /**
     * The subscription, the coordinates, the attempts and the cause's type: never the key, the
     * value or the headers, which {@link ConsumerRecord#toString()} would print.
     */
    @Override
    public String toString() {
        return "FailedRecord[" + this.subscriptionId + " on " + coordinates() + " after " + this.attempts
                + " attempt(s): " + this.cause.getClass().getName() + "]";
    }

}
