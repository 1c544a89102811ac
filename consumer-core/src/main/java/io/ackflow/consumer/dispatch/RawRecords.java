package io.ackflow.consumer.dispatch;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The deserializer of subscriptions that take raw bytes. Subscriptions that keep it for both key
 * and value get the polled record itself, with no copy.
 */
public final class RawRecords {

    /** Shared by every raw subscription, so they fall into one deserialization group. */
    public static final Deserializer<byte[]> DESERIALIZER = new ByteArrayDeserializer();

    private RawRecords() {
    }

}
