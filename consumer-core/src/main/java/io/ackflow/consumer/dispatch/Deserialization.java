package io.ackflow.consumer.dispatch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.RecordDeserializationException.DeserializationExceptionOrigin;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * How the records of one topic are deserialized for its subscriptions: each distinct key
 * deserializer and each distinct value deserializer runs once per record, whatever the number
 * of subscriptions that share it, and the subscriptions whose pair of deserializers is the same
 * share one deserialized record (a <em>group</em>). Subscriptions that read raw bytes on both
 * sides get the polled record itself.
 * <p>
 * Threads: built once with the conductor's routes; {@link #deserialize} runs on handler threads,
 * one record at a time per call ({@link DecodedRecord} serializes the calls for one record), so a
 * deserializer may be called by several threads at once for different records: deserializers
 * must be thread-safe, as Kafka's own, Jackson's and schema registries' are.
 */
final class Deserialization {

    /** Compared by identity with the deserializers, whatever their type. */
    private static final Object RAW = RawRecords.DESERIALIZER;

    private final Deserializer<Object>[] keyDeserializers;

    private final Deserializer<Object>[] valueDeserializers;

    /** Per group: the index of its key deserializer, of its value deserializer, and its members. */
    private final int[] groupKey;

    private final int[] groupValue;

    private final int[][] groupMembers;

    /**
     * @param keyDeserializers the key deserializer of each subscription of the topic, in holder-index order
     * @param valueDeserializers their value deserializers, in the same order
     */
    @SuppressWarnings("unchecked")
    Deserialization(List<Deserializer<?>> keyDeserializers, List<Deserializer<?>> valueDeserializers) {
        List<Deserializer<?>> keys = new ArrayList<>();
        List<Deserializer<?>> values = new ArrayList<>();
        Map<List<Integer>, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < keyDeserializers.size(); i++) {
            int key = indexOf(keys, keyDeserializers.get(i));
            int value = indexOf(values, valueDeserializers.get(i));
            groups.computeIfAbsent(List.of(key, value), (pair) -> new ArrayList<>()).add(i);
        }
        this.keyDeserializers = keys.toArray(new Deserializer[0]);
        this.valueDeserializers = values.toArray(new Deserializer[0]);
        this.groupKey = new int[groups.size()];
        this.groupValue = new int[groups.size()];
        this.groupMembers = new int[groups.size()][];
        int g = 0;
        for (Map.Entry<List<Integer>, List<Integer>> group : groups.entrySet()) {
            this.groupKey[g] = group.getKey().get(0);
            this.groupValue[g] = group.getKey().get(1);
            this.groupMembers[g] = group.getValue().stream().mapToInt(Integer::intValue).toArray();
            g++;
        }
    }

    /** Identity, not equality: two instances of one class may be configured differently. */
    private static int indexOf(List<Deserializer<?>> distinct, Deserializer<?> deserializer) {
        for (int i = 0; i < distinct.size(); i++) {
            if (distinct.get(i) == deserializer) {
                return i;
            }
        }
        distinct.add(deserializer);
        return distinct.size() - 1;
    }

    /** Whether every subscription takes raw bytes on both sides: the polled record is theirs as it is. */
    boolean allRaw() {
        for (Deserializer<Object> deserializer : this.keyDeserializers) {
            if (deserializer != RAW) {
                return false;
            }
        }
        for (Deserializer<Object> deserializer : this.valueDeserializers) {
            if (deserializer != RAW) {
                return false;
            }
        }
        return true;
    }

    int groups() {
        return this.groupMembers.length;
    }

    /** The holder indexes of the subscriptions of group {@code group}. */
    int[] members(int group) {
        return this.groupMembers[group];
    }

    /**
     * Deserializes {@code raw} once per distinct deserializer.
     * @return per group, the record its subscriptions get, or the
     * {@link RecordDeserializationException} of a record its deserializers cannot read (a poison
     * pill for that group only)
     */
    Object[] deserialize(ConsumerRecord<byte[], byte[]> raw) {
        Object[] keys = new Object[this.keyDeserializers.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = read(this.keyDeserializers[i], raw, raw.key(), DeserializationExceptionOrigin.KEY);
        }
        Object[] values = new Object[this.valueDeserializers.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = read(this.valueDeserializers[i], raw, raw.value(), DeserializationExceptionOrigin.VALUE);
        }
        Object[] results = new Object[this.groupMembers.length];
        for (int g = 0; g < results.length; g++) {
            Object key = keys[this.groupKey[g]];
            Object value = values[this.groupValue[g]];
            if (key instanceof Failure failure) {
                results[g] = failure.exception;
            }
            else if (value instanceof Failure failure) {
                results[g] = failure.exception;
            }
            else if (this.keyDeserializers[this.groupKey[g]] == RAW
                    && this.valueDeserializers[this.groupValue[g]] == RAW) {
                results[g] = raw;
            }
            else {
                results[g] = new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.timestamp(),
                        raw.timestampType(), raw.serializedKeySize(), raw.serializedValueSize(), key, value,
                        raw.headers(), raw.leaderEpoch(), raw.deliveryCount());
            }
        }
        return results;
    }

    private static Object read(Deserializer<Object> deserializer, ConsumerRecord<byte[], byte[]> raw, byte[] data,
            DeserializationExceptionOrigin origin) {
        if (deserializer == RAW) {
            return data;
        }
        try {
            return deserializer.deserialize(raw.topic(), raw.headers(), data);
        }
        catch (RuntimeException ex) {
            return new Failure(failure(raw, origin, ex));
        }
    }

    /**
     * Kafka's own exception for a record that cannot be deserialized, naming the part at fault.
     * Its message names the coordinates and the cause's type, not the cause's message, which may
     * quote the bytes (Jackson's does) and would reach WARN logs; the cause is kept.
     */
    private static RecordDeserializationException failure(ConsumerRecord<byte[], byte[]> raw,
            DeserializationExceptionOrigin origin, RuntimeException cause) {
        return new RecordDeserializationException(origin, new TopicPartition(raw.topic(), raw.partition()),
                raw.offset(), raw.timestamp(), raw.timestampType(),
                (raw.key() != null) ? ByteBuffer.wrap(raw.key()) : null,
                (raw.value() != null) ? ByteBuffer.wrap(raw.value()) : null, raw.headers(),
                "Cannot deserialize the " + origin.name().toLowerCase(Locale.ROOT) + " of " + raw.topic() + "-"
                        + raw.partition() + "@" + raw.offset() + " (" + cause.getClass().getName() + ")",
                cause);
    }

    /** A deserializer's failure on one record, told apart from any value it could return. */
    private record Failure(RecordDeserializationException exception) {
    }

}
