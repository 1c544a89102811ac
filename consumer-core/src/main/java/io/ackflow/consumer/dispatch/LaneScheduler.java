package io.ackflow.consumer.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.Ordering;

/**
 * Decides which of one subscription's deliveries run, and when: its lanes, its ready queue and
 * its concurrency slots. It runs nothing itself; the runner hands what it returns to the executor.
 *
 * <h2>Lanes</h2>
 * Deliveries queue in <em>lanes</em>. A lane runs at most {@code maxActive} of its deliveries at
 * once, in the order they were queued: under {@link Ordering#PARTITION} a lane is a partition
 * and runs one at a time; under {@link Ordering#KEY} a lane is a key within a partition and runs
 * one at a time; under {@link Ordering#UNORDERED} there is one lane that runs up to the
 * concurrency. Across lanes at most {@code concurrency} deliveries run at once. A lane with
 * queued work and room to run waits in the <em>ready</em> queue; a freed slot goes to the head
 * of that queue, and a lane that has more to do goes to its tail, so one busy partition or key
 * never starves the others (round robin). Which lane a record queues in is the
 * {@link LaneTable}'s to say.
 *
 * <h2>Parked deliveries</h2>
 * A delivery that waits for a retry (or a dead-letter resend) is <em>parked</em>: it gives back
 * its concurrency slot but keeps its lane's slot, so under {@code PARTITION} only the partition's
 * later records wait for it, under {@code KEY} only the key's, and under {@code UNORDERED}
 * nothing (the unordered lane's slot is given back too). When the wait is over the delivery is
 * <em>due</em> and runs before any ready lane. Closing the scheduler, or dropping the queued
 * deliveries of a revoked partition, abandons parked deliveries: their records stay unreleased.
 *
 * <h2>Threads</h2>
 * Every method is safe from any thread: all state is guarded by this scheduler's monitor, held
 * only for queue bookkeeping, never while a handler runs. {@link #enqueue} and
 * {@link #dropQueued} are called by the poll thread; {@link #finished}, {@link #parked} and
 * {@link #halt} by the thread that ran the delivery; {@link #waitOver} by the retry scheduler's
 * thread; {@link #close} by any thread.
 */
final class LaneScheduler {

    private final int concurrency;

    private final LaneTable lanes;

    private final ArrayDeque<Lane> ready = new ArrayDeque<>();

    /** Parked deliveries, waiting for a retry (or a dead-letter resend). */
    private final Set<Delivery> waiting = Collections.newSetFromMap(new IdentityHashMap<>());

    /** Parked deliveries whose wait is over, run before any ready lane. */
    private final ArrayDeque<Delivery> due = new ArrayDeque<>();

    /** Deliveries holding a concurrency slot. */
    private int running;

    /** Set once by {@link #close} or {@link #halt}: nothing more is started. */
    private boolean closed;

    LaneScheduler(Ordering ordering, int concurrency) {
        this.concurrency = concurrency;
        this.lanes = new LaneTable(ordering, concurrency);
    }

    /**
     * Queues deliveries in their lanes, in order, and takes as many as there are slots for.
     * @return the deliveries to start now, in order; empty when closed or when no slot is free
     */
    synchronized List<Delivery> enqueue(List<Delivery> deliveries) {
        if (this.closed) {
            return List.of();
        }
        for (int i = 0; i < deliveries.size(); i++) {
            Delivery delivery = deliveries.get(i);
            Lane lane = this.lanes.laneFor(delivery);
            delivery.lane = lane;
            lane.add(delivery);
            makeReady(lane);
        }
        List<Delivery> starts = null;
        for (Delivery start; (start = takeReady()) != null;) {
            if (starts == null) {
                starts = new ArrayList<>(Math.min(deliveries.size(), this.concurrency - this.running + 1));
            }
            starts.add(start);
        }
        return (starts != null) ? starts : List.of();
    }

    /**
     * Frees the slots of a delivery that is done (released, or left unreleased on purpose).
     * @return the next delivery to run, if any
     */
    synchronized Delivery finished(Delivery delivery) {
        this.running--;
        delivery.markOver();
        if (this.closed) {
            return null;
        }
        freeLane(delivery.lane);
        return takeReady();
    }

    /**
     * Parks a delivery that runs again after a wait: frees its concurrency slot (and, in the
     * unordered lane, its lane slot). When closed, the delivery is abandoned instead.
     * @return the next delivery to run, if any
     */
    synchronized Delivery parked(Delivery delivery) {
        this.running--;
        if (this.closed) {
            abandon(delivery);
            return null;
        }
        if (!delivery.lane.ordered) {
            freeLane(delivery.lane);
        }
        this.waiting.add(delivery);
        return takeReady();
    }

    /**
     * Takes back the slots that {@link #parked} gave up, for a delivery whose wait could not be
     * scheduled.
     * @return false if the delivery was abandoned meanwhile (by a revoke or a close)
     */
    synchronized boolean unpark(Delivery delivery) {
        if (!this.waiting.remove(delivery)) {
            return false;
        }
        this.running++;
        if (!delivery.lane.ordered) {
            delivery.lane.active++;
        }
        return true;
    }

    /**
     * The wait of a parked delivery is over: it runs before any ready lane.
     * @return the next delivery to run, if any; null also when the delivery was abandoned meanwhile
     */
    synchronized Delivery waitOver(Delivery delivery) {
        if (!this.waiting.remove(delivery)) {
            return null;
        }
        this.due.addLast(delivery);
        return takeReady();
    }

    /** Frees the concurrency slot of a delivery that stopped the subscription, and starts nothing more. */
    synchronized void halt(Delivery delivery) {
        this.running--;
        delivery.markOver();
        this.closed = true;
        this.ready.clear();
    }

    synchronized boolean isClosed() {
        return this.closed;
    }

    /** Starts nothing more and abandons the parked deliveries; queued ones never start, running ones finish. */
    synchronized void close() {
        this.closed = true;
        this.ready.clear();
        this.lanes.clear();
        for (Delivery delivery : this.waiting) {
            abandon(delivery);
        }
        this.waiting.clear();
        for (Delivery delivery : this.due) {
            abandon(delivery);
        }
        this.due.clear();
    }

    /**
     * Drops the queued deliveries of {@code partitions} and abandons their parked ones.
     * @return how many were dropped or abandoned
     */
    synchronized int dropQueued(Set<TopicPartition> partitions) {
        int dropped = this.lanes.dropQueued(partitions);
        this.ready.removeIf((lane) -> {
            if (lane.isQueueEmpty()) {
                lane.inReady = false;
                return true;
            }
            return false;
        });
        dropped += LaneTable.remove(this.waiting, partitions, this::abandonParked);
        dropped += LaneTable.remove(this.due, partitions, this::abandonParked);
        return dropped;
    }

    /** Deliveries queued, running or parked. */
    synchronized int backlog() {
        return this.lanes.queued() + this.running + this.waiting.size() + this.due.size();
    }

    /** Takes the next delivery: a due one first, else the head of the ready lane at the head, if a slot is free. */
    private Delivery takeReady() {
        if (this.closed || this.running >= this.concurrency) {
            return null;
        }
        Delivery retry = this.due.pollFirst();
        if (retry != null) {
            // Its lane slot stayed taken while it waited (the unordered lane's did not).
            if (!retry.lane.ordered) {
                retry.lane.active++;
            }
            this.running++;
            return retry;
        }
        Lane lane = this.ready.pollFirst();
        if (lane == null) {
            return null;
        }
        lane.inReady = false;
        Delivery next = lane.poll();
        lane.active++;
        this.running++;
        next.tracked.taken();
        makeReady(lane);
        return next;
    }

    /** Puts {@code lane} at the tail of the ready queue if it has work and room and is not there yet. */
    private void makeReady(Lane lane) {
        if (!lane.inReady && lane.canStart()) {
            lane.inReady = true;
            this.ready.addLast(lane);
        }
    }

    /** Gives back a slot of {@code lane}: it is ready again if it has queued work, dropped if idle. */
    private void freeLane(Lane lane) {
        lane.active--;
        if (!lane.isQueueEmpty()) {
            makeReady(lane);
        }
        else {
            this.lanes.dropIfIdle(lane);
        }
    }

    /**
     * Abandons a parked delivery of a revoked partition and gives back the lane slot it kept: a
     * drain must not wait out its back-off, and the next owner reads its record again.
     */
    private void abandonParked(Delivery delivery) {
        abandon(delivery);
        if (delivery.lane.ordered) {
            freeLane(delivery.lane);
        }
    }

    /** A taken delivery that will never run again and is not released: its record is read again later. */
    private void abandon(Delivery delivery) {
        delivery.markOver();
        delivery.tracked.finished();
    }

}
