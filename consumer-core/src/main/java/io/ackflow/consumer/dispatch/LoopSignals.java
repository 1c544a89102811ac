package io.ackflow.consumer.dispatch;

import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * How handler threads reach the poll loop: the only calls they make into it. The poll loop
 * implements it; the conductor gets it for acks, and each subscription runner its stop and, under
 * exactly-once, its abort, through a relay while the loop is being built.
 * <p>
 * Threads: called from handler threads (or whichever thread completes a handler's stage, or the
 * retry timer); every method is thread-safe, quick, and never blocks on the poll thread.
 */
public interface LoopSignals extends TrackedRecord.AckListener {

    /**
     * A subscription's {@code STOP} recovery: nothing more is started, running handlers finish up
     * to the shutdown timeout, the acked prefix is committed, and {@code cause} becomes the
     * engine's failure.
     */
    void requestStop(Throwable cause);

    /**
     * Exactly-once: a handler failed on {@code record}, so the open transaction is aborted and the
     * records read again, those of the record's partition no sooner than {@code retryDelayMillis}
     * from now. Called before the handler's slot is freed.
     */
    void abortFor(TrackedRecord record, long retryDelayMillis);

}
