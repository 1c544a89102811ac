package io.ackflow.consumer.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockShareConsumer;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * kafka-clients' {@link MockShareConsumer} that keeps what a broker would see: each
 * acknowledgement as {@code partition@offset=TYPE} in the order given, which of them were sent (by
 * a poll, a commit or the close), and explicit mode's rule that a poll refuses to run while a
 * record of the previous poll is not acknowledged.
 * <p>
 * Threads: the test's poll thread.
 */
public final class RecordingShareConsumer extends MockShareConsumer<byte[], byte[]> {

    private final List<String> acknowledgements = new ArrayList<>();

    private final List<String> sent = new ArrayList<>();

    private final Set<String> unacknowledged = new HashSet<>();

    private int commits;

    /** Whether the next commitSync throws a WakeupException without sending, as after an unused wakeup. */
    private boolean wakeupPending;

    /** A record of {@code topic}, partition 0, at {@code offset}, for its {@code deliveryCount}-th delivery. */
    public static ConsumerRecord<byte[], byte[]> record(String topic, long offset, int deliveryCount) {
        byte[] value = ("v" + offset).getBytes();
        return new ConsumerRecord<>(topic, 0, offset, 0L, TimestampType.CREATE_TIME, 0, value.length, null, value,
                new RecordHeaders(), Optional.empty(), Optional.of((short) deliveryCount));
    }

    @Override
    public synchronized ConsumerRecords<byte[], byte[]> poll(java.time.Duration timeout) {
        if (!this.unacknowledged.isEmpty()) {
            throw new IllegalStateException("poll with records not acknowledged: " + this.unacknowledged);
        }
        send();
        ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
        records.forEach((record) -> this.unacknowledged.add(record.partition() + "@" + record.offset()));
        return records;
    }

    @Override
    public synchronized void acknowledge(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
        String coordinates = record.partition() + "@" + record.offset();
        if (!this.unacknowledged.remove(coordinates)) {
            throw new IllegalStateException(coordinates + " acknowledged twice or never acquired");
        }
        this.acknowledgements.add(coordinates + "=" + type.name());
    }

    @Override
    public synchronized void commitAsync() {
        this.commits++;
        send();
    }

    @Override
    public synchronized java.util.Map<org.apache.kafka.common.TopicIdPartition,
            Optional<org.apache.kafka.common.KafkaException>> commitSync(java.time.Duration timeout) {
        if (this.wakeupPending) {
            this.wakeupPending = false;
            throw new org.apache.kafka.common.errors.WakeupException();
        }
        this.commits++;
        send();
        return java.util.Map.of();
    }

    @Override
    public synchronized void close(java.time.Duration timeout) {
        send();
        super.close(timeout);
    }

    private void send() {
        this.sent.addAll(this.acknowledgements.subList(this.sent.size(), this.acknowledgements.size()));
    }

    /** Makes the next {@code commitSync} throw a {@code WakeupException} and send nothing, as a wakeup that no poll used does. */
    public synchronized void wakeupBeforeNextCommit() {
        this.wakeupPending = true;
    }

    /** Every acknowledgement given, as {@code partition@offset=TYPE}, in order. */
    public synchronized List<String> acknowledgements() {
        return List.copyOf(this.acknowledgements);
    }

    /** The acknowledgements sent to the broker so far (by a poll, a commit or the close). */
    public synchronized List<String> sent() {
        return List.copyOf(this.sent);
    }

    /** Commits of acknowledgements asked for ({@code commitAsync} and {@code commitSync}). */
    public synchronized int commits() {
        return this.commits;
    }

}
