package io.ackflow.consumer.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The deliveries of a batch subscription waiting to be taken into a batch, in the order they were
 * polled, each with the clock millis it was queued at: one pool per partition assignment under
 * {@code PARTITION}, one for all under {@code KEY} and {@code UNORDERED}. A pool is <em>due</em> when
 * it holds a full batch or when its oldest record has waited {@code maxWait}.
 * <p>
 * Threads: confined to the monitor of its {@link BatchScheduler}.
 */
final class BatchPool {

    /** The pool's key in its scheduler: the partition's tracker, or a constant for the one pool. */
    final Object key;

    private final ArrayDeque<Waiting> queue = new ArrayDeque<>();

    /** Under {@code PARTITION}: a batch of this pool runs or waits for a retry, so none other starts. */
    boolean busy;

    BatchPool(Object key) {
        this.key = key;
    }

    void add(Delivery delivery, long queuedAt) {
        this.queue.addLast(new Waiting(delivery, queuedAt));
    }

    /** Puts deliveries handed back by a batch before the others, in their order, due at once. */
    void addFirst(List<Delivery> deliveries) {
        for (int i = deliveries.size() - 1; i >= 0; i--) {
            this.queue.addFirst(new Waiting(deliveries.get(i), Long.MIN_VALUE));
        }
    }

    boolean isEmpty() {
        return this.queue.isEmpty();
    }

    int size() {
        return this.queue.size();
    }

    /** When the oldest record was queued (clock millis); MIN_VALUE for one handed back. Not empty. */
    long oldest() {
        return this.queue.peekFirst().queuedAt;
    }

    /** Takes up to {@code max} deliveries from the head. */
    List<Delivery> takeHead(int max) {
        int count = Math.min(max, this.queue.size());
        List<Delivery> taken = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            taken.add(this.queue.pollFirst().delivery);
        }
        return taken;
    }

    /**
     * Takes up to {@code max} deliveries whose lane key is not {@code blocked}, in order; once a
     * key is passed over, its later records are passed over too, so a key's records never
     * overtake each other. Keys of the taken ones are added to {@code taken}.
     * @param dueAt the batch is taken only if full, or if its first record was queued at or before this
     * @return the deliveries, or null when there is no batch to take
     */
    List<Delivery> takeByKey(int max, Set<Object> blocked, long dueAt, Set<Object> takenKeys) {
        Set<Object> passed = new java.util.HashSet<>();
        List<Waiting> picked = new ArrayList<>();
        for (Waiting waiting : this.queue) {
            Object key = BatchScheduler.keyOf(waiting.delivery);
            if (blocked.contains(key) || passed.contains(key)) {
                passed.add(key);
                continue;
            }
            picked.add(waiting);
            if (picked.size() == max) {
                break;
            }
        }
        if (picked.isEmpty() || (picked.size() < max && picked.get(0).queuedAt > dueAt)) {
            return null;
        }
        List<Delivery> taken = new ArrayList<>(picked.size());
        Set<Waiting> pickedSet = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        pickedSet.addAll(picked);
        this.queue.removeIf(pickedSet::contains);
        for (Waiting waiting : picked) {
            taken.add(waiting.delivery);
            takenKeys.add(BatchScheduler.keyOf(waiting.delivery));
        }
        return taken;
    }

    /**
     * Removes the deliveries of records of {@code partitions}.
     * @return how many were removed
     */
    int drop(Set<TopicPartition> partitions) {
        int dropped = 0;
        Iterator<Waiting> iterator = this.queue.iterator();
        while (iterator.hasNext()) {
            ConsumerRecord<byte[], byte[]> raw = iterator.next().delivery.tracked.raw();
            if (partitions.contains(new TopicPartition(raw.topic(), raw.partition()))) {
                iterator.remove();
                dropped++;
            }
        }
        return dropped;
    }

    void clear() {
        this.queue.clear();
    }

    /** A delivery and when it was queued. */
    private record Waiting(Delivery delivery, long queuedAt) {
    }

}
