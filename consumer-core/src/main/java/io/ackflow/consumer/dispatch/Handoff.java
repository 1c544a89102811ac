package io.ackflow.consumer.dispatch;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The deliveries of one subscription that its {@link LaneScheduler} started (each holds its slots)
 * and that wait for a worker thread, and the workers that serve them: how many were asked of the
 * executor and have not arrived, how many are serving, and how many of those are inside a turn
 * (a handler call, which may block).
 * <p>
 * A worker is asked for only when a delivery waits, none is on its way, and every worker serving
 * is inside a turn: a worker between turns takes the longest-waiting delivery itself. Handlers
 * that return at once are so run back to back by the few workers there are, instead of one new
 * thread (or one wake-up of a pooled thread) per delivery; handlers that block keep every worker
 * inside a turn, so each waiting delivery gets a worker of its own, as fast as the executor
 * starts them, up to the concurrency (the scheduler starts no more).
 * <p>
 * Threads: any; lock-free. What keeps a delivery from waiting here forever: whoever adds one then
 * calls {@link #needsWorker} (and asks the executor when it says so); a worker calls it at the
 * start of each turn; and a worker that leaves looks again after it stopped counting as serving.
 * So while a delivery waits, a worker is on its way, or one serving is between turns and takes it.
 */
final class Handoff {

    private final ConcurrentLinkedQueue<Delivery> waiting = new ConcurrentLinkedQueue<>();

    /** Workers asked of the executor that have not arrived. */
    private final AtomicInteger coming = new AtomicInteger();

    /** Workers serving: arrived and not left. */
    private final AtomicInteger serving = new AtomicInteger();

    /** Workers serving that are inside a turn. */
    private final AtomicInteger inTurn = new AtomicInteger();

    void add(Delivery delivery) {
        this.waiting.add(delivery);
    }

    /** The delivery that waited longest, or null. */
    Delivery poll() {
        return this.waiting.poll();
    }

    boolean isEmpty() {
        return this.waiting.isEmpty();
    }

    /**
     * Whether the caller must ask the executor for a worker: a delivery waits, no worker is on its
     * way, and every worker serving is inside a turn. When true, the worker counts as on its way
     * until it {@link #arrived arrives} (or is {@link #refused}).
     */
    boolean needsWorker() {
        return !this.waiting.isEmpty() && this.coming.get() == 0 && this.inTurn.get() >= this.serving.get()
                && this.coming.compareAndSet(0, 1);
    }

    /** A worker asked for arrived: it serves from now on. */
    void arrived() {
        this.serving.incrementAndGet();
        this.coming.decrementAndGet();
    }

    /** The executor refused the worker asked for. */
    void refused() {
        this.coming.decrementAndGet();
    }

    /** A worker that was not asked for (a failed stage settled on the executor) serves from now on. */
    void joined() {
        this.serving.incrementAndGet();
    }

    /** A worker stops serving; it must look at {@link #isEmpty} once more afterwards. */
    void left() {
        this.serving.decrementAndGet();
    }

    void turnStarted() {
        this.inTurn.incrementAndGet();
    }

    void turnEnded() {
        this.inTurn.decrementAndGet();
    }

}
