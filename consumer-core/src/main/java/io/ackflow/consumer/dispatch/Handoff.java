package io.ackflow.consumer.dispatch;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The deliveries of one subscription that its {@link LaneScheduler} started (each holds its slots)
 * and that wait for a worker thread, and the workers that serve them: how many were asked of the
 * executor and have not arrived, how many are serving, how many of those are inside a turn (a
 * handler call, which may block), and how many turns were started.
 * <p>
 * A worker is asked for at once only when a delivery waits, none is on its way, every worker
 * serving is inside a turn, and (under {@code KEY} and {@code UNORDERED}) fewer than
 * {@link TurnWatch#EAGER_WORKERS} serve: a worker between turns takes the longest-waiting delivery
 * itself. Beyond that, the {@link TurnWatch} decides
 * whether the turns block (more workers, as fast as the executor starts them, up to the
 * concurrency, which the scheduler starts no more than) or are quick (the workers there keep up).
 * Handlers that return at once are so run back to back by the few workers there are, instead of
 * one new thread (or one wake-up of a pooled thread) per delivery, and without more workers than
 * cores contending for the lane scheduler.
 * <p>
 * Threads: any; lock-free. What keeps a delivery from waiting here forever: whoever adds one then
 * calls {@link #needsWorker} (and asks the executor when it says so, else arms the watch when
 * {@link #allBusyWhileWaiting} says so); a worker does the same at the start of each turn; the
 * watch looks again for as long as every worker is inside a turn while deliveries wait; and a
 * worker that leaves looks again after it stopped counting as serving. So while a delivery waits,
 * a worker is on its way, or one serving is between turns and takes it, or the watch looks.
 */
final class Handoff {

    /** One turn started, in {@link #turns}. */
    private static final long TURN_STARTED = 1L << 32;

    private final ConcurrentLinkedQueue<Delivery> waiting = new ConcurrentLinkedQueue<>();

    /** Workers asked of the executor that have not arrived. */
    private final AtomicInteger coming = new AtomicInteger();

    /** Workers serving: arrived and not left. */
    private final AtomicInteger serving = new AtomicInteger();

    /** Low 32 bits: workers serving that are inside a turn; high 32 bits: turns started, wrapping. */
    private final AtomicLong turns = new AtomicLong();

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

    /** Deliveries waiting; counts them, so only for the watch's occasional look. */
    int waiting() {
        return this.waiting.size();
    }

    /**
     * Whether the caller must ask the executor for a worker at once: a delivery waits, no worker
     * is on its way, every worker serving is inside a turn, and fewer than {@code eager} serve.
     * When true, the worker counts as on its way until it {@link #arrived arrives} (or is
     * {@link #refused}).
     */
    boolean needsWorker(int eager) {
        int serving = this.serving.get();
        return serving < eager && !this.waiting.isEmpty() && this.coming.get() == 0 && inTurn() >= serving
                && this.coming.compareAndSet(0, 1);
    }

    /** Whether a delivery waits while every worker serving is inside a turn: the watch's question. */
    boolean allBusyWhileWaiting() {
        return !this.waiting.isEmpty() && inTurn() >= this.serving.get();
    }

    /**
     * Counts {@code count} workers as on their way if none is: the caller then asks the executor
     * for them, and each {@link #arrived arrives} or is {@link #refused}.
     */
    boolean reserve(int count) {
        return this.coming.get() == 0 && this.coming.compareAndSet(0, count);
    }

    /** A worker asked for arrived: it serves from now on. */
    void arrived() {
        this.serving.incrementAndGet();
        this.coming.decrementAndGet();
    }

    /** The executor refused a worker asked for. */
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

    int serving() {
        return this.serving.get();
    }

    void turnStarted() {
        this.turns.getAndAdd(TURN_STARTED + 1);
    }

    void turnEnded() {
        this.turns.getAndDecrement();
    }

    /** Turns started so far, modulo 2^32: subtract two readings and mask with {@code 0xFFFFFFFFL}. */
    long turnsStarted() {
        return this.turns.get() >>> 32;
    }

    private int inTurn() {
        return (int) this.turns.get();
    }

}
