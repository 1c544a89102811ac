package io.ackflow.consumer.share;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * The records every subscription has released, on their way from the handler threads to the poll
 * thread, which alone may acknowledge them to the share consumer; and the wake-up of a poll thread
 * that waits for them.
 * <p>
 * Threads: {@link #add} and {@link #wake} from any thread; {@link #next} and {@link #await} on the
 * poll thread.
 */
final class Completions {

    /** Put by {@link #wake}: no record, just a reason to look again. */
    private static final Object WAKE = new Object();

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();

    /** Queues a record that every subscription released. */
    void add(TrackedRecord record) {
        this.queue.add(record);
    }

    /** Ends a wait in {@link #await}, so the poll thread looks at its state again. */
    void wake() {
        this.queue.add(WAKE);
    }

    /** The next queued record, or null when none is queued now. */
    TrackedRecord next() {
        for (Object next; (next = this.queue.poll()) != null; ) {
            if (next instanceof TrackedRecord record) {
                return record;
            }
        }
        return null;
    }

    /**
     * Waits up to {@code millis} for a record or a wake-up, and leaves it queued (a record) for
     * {@link #next}.
     */
    void await(long millis) throws InterruptedException {
        if (!this.queue.isEmpty() || millis <= 0) {
            return;
        }
        Object first = this.queue.poll(millis, TimeUnit.MILLISECONDS);
        if (first instanceof TrackedRecord record) {
            // Back at the head is not possible on this queue; the order of completions does not matter.
            this.queue.add(record);
        }
    }

}
