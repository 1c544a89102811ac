package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.testing.ReadPast;

/** kafka-clients' {@link MockConsumer} that remembers every commit the engine sent, in order. */
public final class RecordingConsumer extends MockConsumer<byte[], byte[]> {

    private final List<Map<TopicPartition, Long>> commits = new ArrayList<>();

    private final List<String> commitKinds = new ArrayList<>();

    /** The last offset and metadata sent for each partition. */
    private final Map<TopicPartition, OffsetAndMetadata> lastSent = new HashMap<>();

    /** What the next asynchronous commit fails with, or null. */
    private RuntimeException nextAsyncCommitFailure;

    /** MockConsumer's commitSync goes through commitAsync: record the outer call only. */
    private boolean inCommit;

    /** Positions the next poll reads partitions to, past offsets it delivers no record for. */
    private final Map<TopicPartition, Long> readPast = new HashMap<>();

    private Duration lastPollTimeout;

    public RecordingConsumer() {
        super("earliest");
    }

    /** Assigns the partitions as a group rebalance would, each starting at offset 0. */
    public void assignAtZero(TopicPartition... partitions) {
        Map<TopicPartition, Long> beginning = new HashMap<>();
        for (TopicPartition partition : partitions) {
            beginning.put(partition, 0L);
        }
        updateBeginningOffsets(beginning);
        rebalance(List.of(partitions));
    }

    public void add(String topic, int partition, long offset, String key, String value) {
        addRecord(new ConsumerRecord<>(topic, partition, offset, (key != null) ? key.getBytes() : null,
                (value != null) ? value.getBytes() : null));
    }

    /**
     * The next poll reads {@code partition} up to {@code position}, past the records it returns:
     * the offsets between hold no record to deliver (a transaction marker, aborted records, a
     * compacted tail). The position moves there and the poll tells it, as a real consumer's does.
     */
    public synchronized void readPastTo(TopicPartition partition, long position) {
        this.readPast.put(partition, position);
    }

    /** The timeout of the last poll, or null before the first. */
    public synchronized Duration lastPollTimeout() {
        return this.lastPollTimeout;
    }

    @Override
    public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        this.lastPollTimeout = timeout;
        ConsumerRecords<byte[], byte[]> polled = super.poll(timeout);
        Map<TopicPartition, Long> positions = new HashMap<>(this.readPast);
        positions.keySet().removeIf((partition) -> !assignment().contains(partition) || paused().contains(partition));
        positions.keySet().forEach(this.readPast::remove);
        positions.forEach(this::seek);
        return ReadPast.withPositions(polled, positions);
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        record(offsets, "async");
        if (this.nextAsyncCommitFailure != null) {
            RuntimeException failure = this.nextAsyncCommitFailure;
            this.nextAsyncCommitFailure = null;
            callback.onComplete(offsets, failure);
            return;
        }
        super.commitAsync(offsets, callback);
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        record(offsets, "sync");
        this.inCommit = true;
        try {
            super.commitSync(offsets);
        }
        finally {
            this.inCommit = false;
        }
    }

    private void record(Map<TopicPartition, OffsetAndMetadata> offsets, String kind) {
        if (this.inCommit) {
            return;
        }
        this.lastSent.putAll(offsets);
        this.commits.add(offsets.entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, (e) -> e.getValue().offset())));
        this.commitKinds.add(kind);
    }

    private ConsumerRebalanceListener rebalanceListener;

    @Override
    public synchronized void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
        this.rebalanceListener = listener;
        super.subscribe(topics, listener);
    }

    /** The listener the engine subscribed with, to call what MockConsumer cannot (partitions lost). */
    public synchronized ConsumerRebalanceListener rebalanceListener() {
        return this.rebalanceListener;
    }

    /** The next asynchronous commit fails without committing. */
    public synchronized void failNextAsyncCommit() {
        failNextAsyncCommit(new RetriableCommitFailedException("injected commit failure"));
    }

    /** The next asynchronous commit fails with {@code failure}, without committing. */
    public synchronized void failNextAsyncCommit(RuntimeException failure) {
        this.nextAsyncCommitFailure = failure;
    }

    /** Every commit sent, each as partition to next offset to read. */
    public synchronized List<Map<TopicPartition, Long>> commits() {
        return new ArrayList<>(this.commits);
    }

    /**
     * The offset and metadata last committed for {@code partition}, also once it is no longer
     * assigned (MockConsumer's {@code committed} answers offset 0 then).
     */
    public synchronized OffsetAndMetadata lastCommitted(TopicPartition partition) {
        return this.lastSent.get(partition);
    }

    public synchronized List<String> commitKinds() {
        return new ArrayList<>(this.commitKinds);
    }

}
