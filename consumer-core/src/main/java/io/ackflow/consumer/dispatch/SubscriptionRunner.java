package io.ackflow.consumer.dispatch;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Runs one subscription's handler under its ordering mode and concurrency.
 *
 * <h2>Lanes</h2>
 * Deliveries queue in <em>lanes</em>. A lane runs at most {@code maxActive} of its deliveries at
 * once, in the order they were queued: under {@link Ordering#PARTITION} a lane is a partition
 * and runs one at a time; under {@link Ordering#KEY} a lane is a key within a partition and runs
 * one at a time; under {@link Ordering#UNORDERED} there is one lane that runs up to the
 * concurrency. Across lanes at most {@code concurrency} deliveries run at once. A lane with
 * queued work and room to run waits in the <em>ready</em> queue; a freed slot goes to the head
 * of that queue, and a lane that has more to do goes to its tail, so one busy partition or key
 * never starves the others (round robin). Lanes with nothing queued or running are dropped, so
 * the number of key lanes stays bounded by the records in flight.
 *
 * <h2>Threads</h2>
 * {@link #submit} is called by the poll thread; deliveries run on the handler executor; the
 * continuation after an asynchronous handler runs on whichever thread completes its stage and
 * hands the next delivery back to the executor. All lane state is guarded by this runner's
 * monitor, held only for queue bookkeeping, never while a handler runs. A worker thread that
 * finishes a delivery takes the next ready one itself, so a steady stream costs one executor
 * hand-off per burst rather than per record.
 */
public final class SubscriptionRunner {

    private static final Logger logger = LoggerFactory.getLogger(SubscriptionRunner.class);

    private final Subscription<Object, Object> subscription;

    private final RecordHandler<Object, Object> handler;

    private final Executor executor;

    private final EngineStats stats;

    private final Clock clock;

    private final int concurrency;

    private final Map<Object, Lane> lanes = new HashMap<>();

    private final ArrayDeque<Lane> ready = new ArrayDeque<>();

    private final Lane unordered;

    /** Deliveries taken from their lanes and not finished, by record. Guarded by this. */
    private final Map<TrackedRecord, Delivery> runningByRecord = new IdentityHashMap<>();

    /** Deliveries running now. Guarded by this. */
    private int running;

    /** Set once by {@link #close}; queued deliveries are then never started. Guarded by this. */
    private boolean closed;

    @SuppressWarnings("unchecked")
    public SubscriptionRunner(Subscription<?, ?> subscription, Executor executor, EngineStats stats, Clock clock) {
        this.subscription = (Subscription<Object, Object>) subscription;
        this.clock = clock;
        this.handler = this.subscription.handler();
        this.executor = executor;
        this.stats = stats;
        this.concurrency = subscription.concurrency();
        this.unordered = (subscription.ordering() == Ordering.UNORDERED) ? new Lane(null, this.concurrency) : null;
    }

    public Subscription<?, ?> subscription() {
        return this.subscription;
    }

    /**
     * Queues a delivery in its lane and starts it when there is room. Poll thread.
     */
    void submit(Delivery delivery) {
        Delivery start;
        synchronized (this) {
            if (this.closed) {
                return;
            }
            Lane lane = laneFor(delivery.tracked.raw(), delivery.tracked.tracker());
            delivery.lane = lane;
            lane.queue.addLast(delivery);
            if (!lane.inReady && lane.active < lane.maxActive) {
                lane.inReady = true;
                this.ready.addLast(lane);
            }
            start = takeReady();
        }
        if (start != null) {
            execute(start);
        }
    }

    /**
     * Starts nothing more: queued deliveries stay unreleased (their records are not acked, so
     * not committed, and are read again by the next owner). Running ones finish. Any thread.
     */
    public synchronized void close() {
        this.closed = true;
        this.ready.clear();
        this.lanes.clear();
    }

    /**
     * Drops the queued (not started) deliveries of {@code partitions}: their records stay
     * unreleased, so uncommitted, and are read again by whoever owns the partition next. Poll thread.
     * @return how many were dropped
     */
    public synchronized int dropQueued(Set<TopicPartition> partitions) {
        int dropped = 0;
        List<Lane> all = new ArrayList<>(this.lanes.values());
        if (this.unordered != null) {
            all.add(this.unordered);
        }
        for (Lane lane : all) {
            Iterator<Delivery> queued = lane.queue.iterator();
            while (queued.hasNext()) {
                ConsumerRecord<byte[], byte[]> raw = queued.next().tracked.raw();
                if (partitions.contains(new TopicPartition(raw.topic(), raw.partition()))) {
                    queued.remove();
                    dropped++;
                }
            }
            if (lane.queue.isEmpty() && lane.active == 0 && lane != this.unordered) {
                this.lanes.remove(lane.key);
            }
        }
        this.ready.removeIf((lane) -> {
            if (lane.queue.isEmpty()) {
                lane.inReady = false;
                return true;
            }
            return false;
        });
        return dropped;
    }

    /** Deliveries queued or running, for diagnostics. */
    public synchronized int backlog() {
        int queued = (this.unordered != null) ? this.unordered.queue.size() : 0;
        for (Lane lane : this.lanes.values()) {
            queued += lane.queue.size();
        }
        return queued + this.running;
    }

    private Lane laneFor(ConsumerRecord<byte[], byte[]> record, OffsetTracker tracker) {
        if (this.unordered != null) {
            return this.unordered;
        }
        // Lanes belong to one assignment of a partition (its tracker): a handler that outlives a
        // revoke never holds up the records of the partition's next assignment.
        Object key = switch (this.subscription.ordering()) {
            case PARTITION -> tracker;
            case KEY -> new KeyLane(tracker, (record.key() != null) ? ByteBuffer.wrap(record.key()) : null);
            case UNORDERED -> throw new IllegalStateException("unreachable");
        };
        return this.lanes.computeIfAbsent(key, (k) -> new Lane(k, 1));
    }

    /** Takes the next delivery of the ready lane at the head, if a slot is free. Guarded by this. */
    private Delivery takeReady() {
        if (this.closed || this.running >= this.concurrency) {
            return null;
        }
        Lane lane = this.ready.pollFirst();
        if (lane == null) {
            return null;
        }
        lane.inReady = false;
        Delivery next = lane.queue.pollFirst();
        lane.active++;
        this.running++;
        this.runningByRecord.put(next.tracked, next);
        next.tracked.taken();
        if (!lane.queue.isEmpty() && lane.active < lane.maxActive) {
            lane.inReady = true;
            this.ready.addLast(lane);
        }
        return next;
    }

    /** Frees the slot of a finished delivery and takes the next one to run, if any. */
    private synchronized Delivery finished(Delivery delivery) {
        Lane lane = delivery.lane;
        lane.active--;
        this.running--;
        this.runningByRecord.remove(delivery.tracked);
        if (this.closed) {
            return null;
        }
        if (!lane.queue.isEmpty()) {
            if (!lane.inReady) {
                lane.inReady = true;
                this.ready.addLast(lane);
            }
        }
        else if (lane.active == 0 && lane != this.unordered) {
            this.lanes.remove(lane.key);
        }
        return takeReady();
    }

    private void execute(Delivery delivery) {
        try {
            this.executor.execute(() -> runFrom(delivery));
        }
        catch (RejectedExecutionException ex) {
            // The executor is shut down: the engine is stopping. The record stays unreleased and
            // so uncommitted (it is read again after a restart); its slot is freed.
            logger.debug("Subscription '{}' did not start {}: handler executor is shut down", this.subscription.id(),
                    delivery.tracked);
            delivery.tracked.finished();
            finished(delivery);
        }
    }

    /**
     * The handler of this subscription running on {@code record}, or null when it has not been
     * called (queued, or taken and not yet started) or is done. Any thread.
     */
    public synchronized HandlerRun runningOn(TrackedRecord record) {
        Delivery delivery = this.runningByRecord.get(record);
        if (delivery == null || delivery.startedAt == 0) {
            return null;
        }
        Thread thread = delivery.thread;
        return new HandlerRun(this.subscription.id(), delivery.startedAt, (thread != null) ? thread.getName() : "?");
    }

    /** Runs deliveries one after another on this thread until none is ready or one goes asynchronous. */
    private void runFrom(Delivery first) {
        Delivery delivery = first;
        while (delivery != null) {
            CompletionStage<?> stage = invoke(delivery);
            if (stage != null) {
                Delivery pending = delivery;
                stage.whenComplete((result, failure) -> {
                    complete(pending, failure);
                    Delivery next = finished(pending);
                    if (next != null) {
                        execute(next);
                    }
                });
                return;
            }
            delivery = finished(delivery);
        }
    }

    /** Calls the handler; returns its stage when it is still running, else null after completing the delivery. */
    private CompletionStage<?> invoke(Delivery delivery) {
        if (delivery.tracked.isLate()) {
            // Its partition was revoked, lost or sought away from while it waited: the next owner
            // (or the new position) reads it again, so the handler is not called.
            complete(delivery, null);
            return null;
        }
        CompletionStage<?> stage;
        delivery.thread = Thread.currentThread();
        delivery.startedAt = this.clock.millis();
        try {
            stage = this.handler.handle(delivery.record);
        }
        catch (Throwable ex) {
            complete(delivery, ex);
            return null;
        }
        if (stage == null) {
            complete(delivery, null);
            return null;
        }
        if (stage instanceof CompletableFuture<?> future && future.isDone()) {
            Throwable failure = null;
            try {
                future.join();
            }
            catch (Throwable ex) {
                failure = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
            }
            complete(delivery, failure);
            return null;
        }
        return stage;
    }

    /** Counts the outcome and releases the record for this subscription: exactly once per delivery. */
    private void complete(Delivery delivery, Throwable failure) {
        try {
            if (failure == null) {
                this.stats.recordHandled();
            }
            else {
                this.stats.recordFailed();
                logger.warn("Subscription '{}' failed on {}; the record is released and counts as done for this"
                        + " subscription", this.subscription.id(), delivery.tracked, failure);
            }
        }
        finally {
            try {
                delivery.tracked.release(delivery.holderIndex);
            }
            finally {
                delivery.tracked.finished();
            }
        }
    }

    /**
     * A queue of deliveries that run in order, at most {@code maxActive} at once. Guarded by the
     * runner's monitor.
     */
    static final class Lane {

        final Object key;

        final int maxActive;

        final ArrayDeque<Delivery> queue = new ArrayDeque<>();

        int active;

        boolean inReady;

        Lane(Object key, int maxActive) {
            this.key = key;
            this.maxActive = maxActive;
        }

    }

    /** A key lane: one key of one assignment of a partition. A null key groups its keyless records. */
    private record KeyLane(OffsetTracker assignment, ByteBuffer key) {
    }

}
