package io.ackflow.consumer.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.Batching;
import io.ackflow.consumer.Ordering;

/**
 * Decides when one batch subscription's records are taken into a {@link Batch}, which records,
 * and how many batches run at once. It runs nothing itself; the {@link BatchWorker} runs what it
 * returns.
 *
 * <h2>Pools and batches</h2>
 * Deliveries wait in {@link BatchPool pools}. A pool is taken into a batch of at most
 * {@code maxRecords} when it holds that many, or when its oldest record has waited
 * {@code maxWait} on the engine's clock (Faust's {@code take(max_, within)}). Under
 * {@link Ordering#PARTITION} each partition has its pool, a batch holds one partition's records in
 * offset order, and the pool is busy (takes nothing) until that batch is done; under
 * {@link Ordering#KEY} one pool serves all, and a batch takes no record whose key a running or
 * waiting batch holds, nor one queued after such a record; under {@link Ordering#UNORDERED} one
 * pool serves all and batches mix freely. At most {@code concurrency} batches run at once; a
 * batch waiting for a retry gives back its slot but keeps its pool and keys. Pools take turns
 * (round robin), so one busy partition never starves the others.
 *
 * <h2>Deadlines</h2>
 * The scheduler reads no clock: callers pass the engine's clock millis. The poll thread asks
 * {@link #startDue} each turn and polls no longer than {@link #nextDueAt}; a handler thread that
 * finishes a batch starts what is due at once. A pool that is due but cannot start (busy, its keys
 * held, no free slot) is looked at again {@value #RECHECK_MILLIS} ms later at the latest, so a
 * finish that the poll thread did not see never delays a batch past that.
 *
 * <h2>Threads</h2>
 * Every method is safe from any thread: all state is guarded by this scheduler's monitor, held
 * only for bookkeeping, never while a handler runs. {@link #enqueue}, {@link #startDue},
 * {@link #nextDueAt} and {@link #dropQueued} are called by the poll thread; {@link #finished},
 * {@link #handBack}, {@link #parked} and {@link #halt} by the thread that ran the batch;
 * {@link #waitOver} by the retry scheduler's thread; {@link #close} by any thread.
 */
final class BatchScheduler {

    static final long RECHECK_MILLIS = 10;

    private static final Object ONE_POOL = new Object();

    private final Ordering ordering;

    private final int concurrency;

    private final int maxRecords;

    private final long maxWaitMillis;

    /** Pools in round-robin order: a pool that gave a batch goes to the end. */
    private final LinkedHashMap<Object, BatchPool> pools = new LinkedHashMap<>();

    /** Keys held by running and parked batches, under {@code KEY}. */
    private final Set<Object> busyKeys = new HashSet<>();

    /** Batches waiting for a retry (or a dead-letter resend). */
    private final Set<Batch> waiting = Collections.newSetFromMap(new IdentityHashMap<>());

    /** Parked batches whose wait is over, run before any pool. */
    private final ArrayDeque<Batch> due = new ArrayDeque<>();

    /** Records taken into a batch whose batch is not done, parked ones included. */
    private int inBatches;

    /** Batches holding a concurrency slot. */
    private int running;

    private boolean closed;

    BatchScheduler(Ordering ordering, int concurrency, Batching batching) {
        this.ordering = ordering;
        this.concurrency = concurrency;
        this.maxRecords = batching.maxRecords();
        this.maxWaitMillis = batching.maxWait().toMillis();
    }

    /** The lane key of a delivery's record under {@code KEY}: its key within its partition's assignment. */
    static Object keyOf(Delivery delivery) {
        return (delivery.keyLane != null) ? delivery.keyLane
                : new KeyLane(delivery.tracked.tracker(), delivery.tracked.raw().key());
    }

    /**
     * Queues deliveries, in order, as polled at {@code now}, and takes the batches that are due.
     * @return the batches to start now; empty when closed or none is due
     */
    synchronized List<Batch> enqueue(List<Delivery> deliveries, long now) {
        if (this.closed) {
            return List.of();
        }
        for (int i = 0; i < deliveries.size(); i++) {
            Delivery delivery = deliveries.get(i);
            Object key = (this.ordering == Ordering.PARTITION) ? delivery.tracked.tracker() : ONE_POOL;
            this.pools.computeIfAbsent(key, BatchPool::new).add(delivery, now);
        }
        return takeDue(now);
    }

    /** Takes the batches that are due at {@code now}, as many as there are slots for. */
    synchronized List<Batch> startDue(long now) {
        return takeDue(now);
    }

    /**
     * When a batch will next be due (clock millis), {@link Long#MAX_VALUE} when nothing waits: the
     * poll thread polls no longer than that.
     */
    synchronized long nextDueAt(long now) {
        if (this.closed) {
            return Long.MAX_VALUE;
        }
        long next = Long.MAX_VALUE;
        for (BatchPool pool : this.pools.values()) {
            if (pool.isEmpty()) {
                continue;
            }
            long dueAt = (pool.size() >= this.maxRecords) ? now : plusWait(pool.oldest());
            if (dueAt <= now || pool.busy || this.running >= this.concurrency) {
                // Due, yet not taken: it waits for a batch or a slot to free; look again soon.
                dueAt = Math.max(dueAt, now + RECHECK_MILLIS);
            }
            next = Math.min(next, dueAt);
        }
        return next;
    }

    /**
     * Frees the slot, pool and keys of a batch that is done (every record released, or left
     * unreleased on purpose), and takes the batches due at {@code now}.
     */
    synchronized List<Batch> finished(Batch batch, long now) {
        this.running--;
        free(batch);
        return takeDue(now);
    }

    /**
     * Puts the records {@code rest} of a running batch back before the others of its pool, due at
     * once (they follow a record that failed); the batch keeps the keys of its remaining records only.
     */
    synchronized void handBack(Batch batch, List<Delivery> rest) {
        Set<Delivery> back = Collections.newSetFromMap(new IdentityHashMap<>());
        back.addAll(rest);
        batch.taken.removeIf(back::contains);
        this.inBatches -= rest.size();
        for (Delivery delivery : rest) {
            delivery.tracked.finished();
        }
        if (this.closed) {
            return;
        }
        BatchPool pool = this.pools.computeIfAbsent(batch.pool.key, (key) -> batch.pool);
        pool.addFirst(rest);
        if (!batch.keys.isEmpty()) {
            this.busyKeys.removeAll(batch.keys);
            batch.keys.clear();
            for (Delivery delivery : batch.deliveries) {
                batch.keys.add(keyOf(delivery));
            }
            this.busyKeys.addAll(batch.keys);
        }
    }

    /**
     * Parks a batch that runs again after a wait: frees its slot, keeps its pool and keys. When
     * closed, the batch is abandoned instead.
     * @return the batches to start now
     */
    synchronized List<Batch> parked(Batch batch, long now) {
        this.running--;
        if (this.closed) {
            abandon(batch);
            return List.of();
        }
        this.waiting.add(batch);
        return takeDue(now);
    }

    /**
     * Takes back the slot that {@link #parked} gave up, for a batch whose wait could not be scheduled.
     * @return false if the batch was abandoned meanwhile (by a revoke or a close)
     */
    synchronized boolean unpark(Batch batch) {
        if (!this.waiting.remove(batch)) {
            return false;
        }
        this.running++;
        return true;
    }

    /**
     * The wait of a parked batch is over: it runs before any pool.
     * @return the batches to start now; without it when it was abandoned meanwhile
     */
    synchronized List<Batch> waitOver(Batch batch, long now) {
        if (this.waiting.remove(batch)) {
            this.due.addLast(batch);
        }
        return takeDue(now);
    }

    /** Frees the slot of a batch that stopped the subscription, and starts nothing more. */
    synchronized void halt(Batch batch) {
        this.running--;
        free(batch);
        this.closed = true;
    }

    synchronized boolean isClosed() {
        return this.closed;
    }

    /** Starts nothing more and abandons the parked batches; queued records never start, running batches finish. */
    synchronized void close() {
        this.closed = true;
        this.pools.clear();
        this.waiting.forEach(this::abandon);
        this.waiting.clear();
        this.due.forEach(this::abandon);
        this.due.clear();
    }

    /**
     * Drops the queued deliveries of {@code partitions} and abandons their records in parked batches.
     * @return how many were dropped or abandoned
     */
    synchronized int dropQueued(Set<TopicPartition> partitions) {
        int dropped = 0;
        Iterator<BatchPool> pools = this.pools.values().iterator();
        while (pools.hasNext()) {
            BatchPool pool = pools.next();
            dropped += pool.drop(partitions);
            if (pool.isEmpty() && !pool.busy && pool.key != ONE_POOL) {
                pools.remove();
            }
        }
        for (Batch batch : List.copyOf(this.waiting)) {
            dropped += dropParked(batch, partitions, this.waiting);
        }
        for (Batch batch : List.copyOf(this.due)) {
            dropped += dropParked(batch, partitions, this.due);
        }
        return dropped;
    }

    /** Records queued, or in a running or parked batch. */
    synchronized int backlog() {
        int queued = 0;
        for (BatchPool pool : this.pools.values()) {
            queued += pool.size();
        }
        return queued + this.inBatches;
    }

    /** Takes due batches while slots are free: parked batches whose wait is over first, then pools in turn. */
    private List<Batch> takeDue(long now) {
        List<Batch> starts = null;
        while (!this.closed && this.running < this.concurrency) {
            Batch batch = this.due.pollFirst();
            if (batch == null) {
                batch = takeFromPools(now);
            }
            if (batch == null) {
                break;
            }
            this.running++;
            if (starts == null) {
                starts = new ArrayList<>(2);
            }
            starts.add(batch);
        }
        return (starts != null) ? starts : List.of();
    }

    private Batch takeFromPools(long now) {
        for (BatchPool pool : this.pools.values()) {
            Batch batch = take(pool, now);
            if (batch != null) {
                // Round robin: the pool that gave a batch goes to the end.
                this.pools.remove(pool.key);
                this.pools.put(pool.key, pool);
                return batch;
            }
        }
        return null;
    }

    private Batch take(BatchPool pool, long now) {
        if (pool.isEmpty() || pool.busy) {
            return null;
        }
        List<Delivery> deliveries;
        Set<Object> keys = null;
        if (this.ordering == Ordering.KEY) {
            keys = new HashSet<>();
            deliveries = pool.takeByKey(this.maxRecords, this.busyKeys, now - this.maxWaitMillis, keys);
            if (deliveries == null) {
                return null;
            }
        }
        else {
            if (pool.size() < this.maxRecords && plusWait(pool.oldest()) > now) {
                return null;
            }
            deliveries = pool.takeHead(this.maxRecords);
        }
        Batch batch = new Batch(pool, deliveries);
        if (keys != null) {
            batch.keys.addAll(keys);
            this.busyKeys.addAll(keys);
        }
        pool.busy = (this.ordering == Ordering.PARTITION);
        this.inBatches += deliveries.size();
        for (int i = 0; i < deliveries.size(); i++) {
            deliveries.get(i).tracked.taken();
        }
        return batch;
    }

    /**
     * Gives back the pool and keys of a batch that holds no slot any more; its records no longer
     * run ({@link Delivery#markOver()}).
     */
    private void free(Batch batch) {
        for (int i = 0; i < batch.taken.size(); i++) {
            batch.taken.get(i).markOver();
        }
        this.inBatches -= batch.taken.size();
        batch.taken.clear();
        this.busyKeys.removeAll(batch.keys);
        batch.keys.clear();
        BatchPool pool = batch.pool;
        if (this.ordering == Ordering.PARTITION) {
            pool.busy = false;
            if (pool.isEmpty()) {
                this.pools.remove(pool.key, pool);
            }
        }
    }

    /** A parked batch that will never run again and whose records are not released: they are read again later. */
    private void abandon(Batch batch) {
        for (Delivery delivery : batch.deliveries) {
            delivery.tracked.finished();
        }
        batch.deliveries = List.of();
        free(batch);
    }

    private int dropParked(Batch batch, Set<TopicPartition> partitions, java.util.Collection<Batch> parked) {
        List<Delivery> kept = new ArrayList<>(batch.deliveries.size());
        int dropped = 0;
        for (Delivery delivery : batch.deliveries) {
            ConsumerRecord<byte[], byte[]> raw = delivery.tracked.raw();
            if (partitions.contains(new TopicPartition(raw.topic(), raw.partition()))) {
                delivery.markOver();
                delivery.tracked.finished();
                batch.taken.remove(delivery);
                this.inBatches--;
                dropped++;
            }
            else {
                kept.add(delivery);
            }
        }
        batch.deliveries = kept;
        if (kept.isEmpty()) {
            parked.remove(batch);
            free(batch);
        }
        return dropped;
    }

    private long plusWait(long queuedAt) {
        return (queuedAt == Long.MIN_VALUE) ? Long.MIN_VALUE : queuedAt + this.maxWaitMillis;
    }

}
