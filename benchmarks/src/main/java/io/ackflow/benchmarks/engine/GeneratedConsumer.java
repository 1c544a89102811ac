package io.ackflow.benchmarks.engine;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A consumer whose topic never ends: each poll returns up to {@code batch} new records of every
 * assigned partition that is not paused, made from a fixed set of keys and one value, so an engine
 * can be measured without a broker's cost or noise. Everything else is Kafka's
 * {@link MockConsumer} (commits, pauses, positions).
 * <p>
 * Threads: the engine's poll thread, as any consumer.
 */
final class GeneratedConsumer extends MockConsumer<byte[], byte[]> {

    private final List<TopicPartition> partitions = new ArrayList<>();

    private final byte[][] keys;

    private final byte[] value;

    private final int batch;

    private final Map<TopicPartition, Long> next = new HashMap<>();

    private boolean assigned;

    /** Set by {@link #wakeup}, cleared by the poll it ends; guarded by this consumer's monitor. */
    private boolean wakeupRequested;

    GeneratedConsumer(String topic, int partitions, int keys, byte[] value, int batch) {
        super("earliest");
        for (int p = 0; p < partitions; p++) {
            this.partitions.add(new TopicPartition(topic, p));
        }
        this.keys = new byte[keys][];
        for (int k = 0; k < keys; k++) {
            this.keys[k] = ("key-" + k).getBytes(StandardCharsets.UTF_8);
        }
        this.value = value;
        this.batch = batch;
    }

    @Override
    public synchronized void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
        super.subscribe(topics, listener);
    }

    @Override
    public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        if (!this.assigned) {
            Map<TopicPartition, Long> beginning = new HashMap<>();
            this.partitions.forEach((partition) -> beginning.put(partition, 0L));
            updateBeginningOffsets(beginning);
            rebalance(this.partitions);
            this.assigned = true;
            super.poll(Duration.ZERO);
        }
        Set<TopicPartition> paused = paused();
        if (this.wakeupRequested || paused.containsAll(assignment())) {
            return awaitWakeup(timeout);
        }
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>();
        for (TopicPartition partition : assignment()) {
            if (paused.contains(partition)) {
                continue;
            }
            long from = this.next.getOrDefault(partition, position(partition));
            List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(this.batch);
            for (long offset = from; offset < from + this.batch; offset++) {
                list.add(new ConsumerRecord<>(partition.topic(), partition.partition(), offset,
                        this.keys[(int) (offset % this.keys.length)], this.value));
            }
            records.put(partition, list);
            this.next.put(partition, from + this.batch);
            nextOffsets.put(partition, new OffsetAndMetadata(from + this.batch));
        }
        return new ConsumerRecords<>(records, nextOffsets);
    }

    /**
     * Every partition is paused: like a {@code KafkaConsumer}, waits out the timeout unless woken,
     * instead of returning at once and letting the poll thread spin.
     */
    private ConsumerRecords<byte[], byte[]> awaitWakeup(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (long remaining; !this.wakeupRequested && (remaining = deadline - System.nanoTime()) > 0;) {
                TimeUnit.NANOSECONDS.timedWait(this, remaining);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new InterruptException(ex);
        }
        if (this.wakeupRequested) {
            this.wakeupRequested = false;
            throw new WakeupException();
        }
        return ConsumerRecords.empty();
    }

    /** Wakes a poll waiting for a partition to be resumed, or makes the next poll throw, as a {@code KafkaConsumer} does. Any thread. */
    @Override
    public synchronized void wakeup() {
        this.wakeupRequested = true;
        notifyAll();
    }

    @Override
    public synchronized void seek(TopicPartition partition, long offset) {
        super.seek(partition, offset);
        this.next.put(partition, offset);
    }

}
