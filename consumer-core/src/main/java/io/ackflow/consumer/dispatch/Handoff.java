package io.ackflow.consumer.dispatch;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The deliveries of one subscription that its {@link LaneScheduler} started (each holds its slots)
 * and that wait for a worker thread, and how many workers were asked of the executor and have not
 * arrived yet.
 * <p>
 * Workers are asked for one at a time: whoever adds a delivery asks for a worker only when none
 * is on its way, and a worker that takes a delivery while others wait asks for the next before
 * it calls its handler. Handlers that return at once are so run back to back by the few workers
 * already there, instead of one new thread (or one wake-up of a pooled thread) per delivery,
 * while handlers that block still get a thread each, as fast as the executor starts them.
 * <p>
 * Threads: any; lock-free. The invariant that keeps a delivery from waiting here forever: after
 * every {@link #add}, the adder calls {@link #needsWorker} (and asks the executor when it says
 * so), and every worker calls it before each handler call, so while a delivery waits either a
 * worker is on its way or a worker that is not inside a handler will take it.
 */
final class Handoff {

    private final ConcurrentLinkedQueue<Delivery> waiting = new ConcurrentLinkedQueue<>();

    /** Workers asked of the executor that have not arrived. */
    private final AtomicInteger coming = new AtomicInteger();

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
     * Whether the caller must ask the executor for a worker: a delivery waits and no worker is on
     * its way. When true, the worker counts as on its way until it {@link #arrived arrives}.
     */
    boolean needsWorker() {
        return !this.waiting.isEmpty() && this.coming.get() == 0 && this.coming.compareAndSet(0, 1);
    }

    /** A worker asked for arrived, or the executor refused it. */
    void arrived() {
        this.coming.decrementAndGet();
    }

}
