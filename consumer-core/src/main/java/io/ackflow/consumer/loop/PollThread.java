package io.ackflow.consumer.loop;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The thread that owns the consumer: the first poll-thread-only call binds it, and every later
 * one from another thread fails at once with a message that names both threads, instead of
 * corrupting the consumer (which is not thread-safe) or the loop's state.
 * <p>
 * Threads: any; the binding is atomic.
 */
final class PollThread {

    private final AtomicReference<Thread> owner = new AtomicReference<>();

    /**
     * @param what the call, for the message
     * @throws IllegalStateException when called from another thread than the poll thread
     */
    void check(String what) {
        Thread current = Thread.currentThread();
        Thread bound = this.owner.compareAndExchange(null, current);
        if (bound != null && bound != current) {
            throw new IllegalStateException(what + " runs on the poll thread '" + bound.getName()
                    + "' only; it was called from '" + current.getName() + "'. Other threads ask the loop through"
                    + " its command queue (commitNow, controls(), requestStop).");
        }
    }

}
