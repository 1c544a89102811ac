package io.ackflow.consumer.loop;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import io.ackflow.consumer.Seek;

/**
 * Where a {@link Seek} goes in each partition, asked of the consumer: its beginning and end
 * offsets, the offsets for a timestamp (the end where no record is that recent), the group's
 * committed offsets. All of them are found before any partition is sought, so a seek that cannot
 * be carried out (a partition without a committed offset, a broker that does not answer) fails
 * whole, and nothing moved.
 * <p>
 * Threads: the poll thread alone, since it calls the consumer.
 */
final class SeekOffsets {

    /** Longest wait for the broker to tell where the offsets are. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Consumer<byte[], byte[]> consumer;

    /** Whether a seek to the committed offset keeps its offset map (the offsets acked above it). */
    private final boolean offsetMaps;

    /**
     * @param offsetMaps whether the committed offset's metadata is kept, for the offsets acked
     *        above it to be skipped; off, it is dropped and the seek is plain at-least-once
     */
    SeekOffsets(Consumer<byte[], byte[]> consumer, boolean offsetMaps) {
        this.consumer = consumer;
        this.offsetMaps = offsetMaps;
    }

    /**
     * The offset each of {@code partitions} is read from after a seek to {@code to}, with the
     * committed offset's metadata for a seek to it.
     * @throws IllegalArgumentException when a seek to the committed offset names a partition
     *         that has none
     * @throws IllegalStateException when the consumer cannot tell within {@link #TIMEOUT}
     */
    Map<TopicPartition, OffsetAndMetadata> resolve(Set<TopicPartition> partitions, Seek to) {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = switch (to.kind()) {
            case OFFSET -> plain(constant(partitions, to.offset()));
            case BEGINNING -> plain(ask(partitions, to, () -> this.consumer.beginningOffsets(partitions, TIMEOUT)));
            case END -> plain(end(partitions, to));
            case TIMESTAMP -> timestamp(partitions, to);
            case COMMITTED -> committed(partitions, to);
        };
        if (!offsets.keySet().containsAll(partitions)) {
            Set<TopicPartition> unknown = sorted(partitions);
            unknown.removeAll(offsets.keySet());
            throw new IllegalStateException("The consumer did not tell where " + to + " of " + unknown
                    + " is. Nothing was sought.");
        }
        return offsets;
    }

    private Map<TopicPartition, Long> end(Set<TopicPartition> partitions, Seek to) {
        return ask(partitions, to, () -> this.consumer.endOffsets(partitions, TIMEOUT));
    }

    /** The first offset at or after the timestamp; the end where every record is older. */
    private Map<TopicPartition, OffsetAndMetadata> timestamp(Set<TopicPartition> partitions, Seek to) {
        Map<TopicPartition, Long> query = constant(partitions, to.timestamp().toEpochMilli());
        Map<TopicPartition, OffsetAndTimestamp> found = ask(partitions, to,
                () -> this.consumer.offsetsForTimes(query, TIMEOUT));
        Map<TopicPartition, Long> offsets = new HashMap<>();
        Set<TopicPartition> pastTheEnd = sorted(Set.of());
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = (found != null) ? found.get(partition) : null;
            if (offset != null) {
                offsets.put(partition, offset.offset());
            }
            else {
                pastTheEnd.add(partition);
            }
        }
        if (!pastTheEnd.isEmpty()) {
            offsets.putAll(end(pastTheEnd, to));
        }
        return plain(offsets);
    }

    private Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, Seek to) {
        Map<TopicPartition, OffsetAndMetadata> committed = ask(partitions, to,
                () -> this.consumer.committed(partitions, TIMEOUT));
        Set<TopicPartition> missing = sorted(Set.of());
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = (committed != null) ? committed.get(partition) : null;
            if (offset == null) {
                missing.add(partition);
            }
            else {
                offsets.put(partition, this.offsetMaps ? offset : new OffsetAndMetadata(offset.offset()));
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("Partitions " + missing + " have no committed offset in group '"
                    + groupId() + "', so they cannot be sought to it; seek them to the beginning, the end, a timestamp"
                    + " or an offset instead. Nothing was sought.");
        }
        return offsets;
    }

    /** Asks the consumer, once more after a stray wakeup; a failure names the seek and says nothing moved. */
    private <T> T ask(Set<TopicPartition> partitions, Seek to, Supplier<T> request) {
        try {
            try {
                return request.get();
            }
            catch (WakeupException stray) {
                // A wakeup meant for a poll that had just returned; the request itself was not sent.
                return request.get();
            }
        }
        catch (RuntimeException ex) {
            throw new IllegalStateException("Could not find " + to + " of " + sorted(partitions) + " within " + TIMEOUT
                    + ": " + ex + ". Nothing was sought.", ex);
        }
    }

    private String groupId() {
        try {
            return this.consumer.groupMetadata().groupId();
        }
        catch (RuntimeException ex) {
            return "?";
        }
    }

    private static Map<TopicPartition, Long> constant(Set<TopicPartition> partitions, long value) {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        partitions.forEach((partition) -> offsets.put(partition, value));
        return offsets;
    }

    private static Map<TopicPartition, OffsetAndMetadata> plain(Map<TopicPartition, Long> offsets) {
        Map<TopicPartition, OffsetAndMetadata> plain = new HashMap<>();
        offsets.forEach((partition, offset) -> plain.put(partition, new OffsetAndMetadata(offset)));
        return plain;
    }

    /** A copy of {@code partitions} by topic, then partition number: the order messages name them in. */
    static Set<TopicPartition> sorted(Set<TopicPartition> partitions) {
        Set<TopicPartition> sorted = new TreeSet<>((a, b) -> {
            int byTopic = a.topic().compareTo(b.topic());
            return (byTopic != 0) ? byTopic : Integer.compare(a.partition(), b.partition());
        });
        sorted.addAll(partitions);
        return sorted;
    }

}
