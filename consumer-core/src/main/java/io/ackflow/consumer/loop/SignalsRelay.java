package io.ackflow.consumer.loop;

import io.ackflow.consumer.dispatch.LoopSignals;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * The {@link LoopSignals} the conductor and its runners are built with, before the poll loop
 * that answers them exists (the loop is built around the conductor): it forwards every signal to
 * the loop once the loop's constructor has bound it, and refuses a signal that comes earlier with
 * a clear error instead of reaching a half-built loop.
 * <p>
 * Threads: bound once by the thread that builds the loop; signals come from handler threads.
 */
final class SignalsRelay implements LoopSignals {

    private volatile LoopSignals loop;

    /** The loop is built: signals reach it from now on. */
    void bind(LoopSignals loop) {
        this.loop = loop;
    }

    @Override
    public void acked(TrackedRecord record) {
        target().acked(record);
    }

    @Override
    public void requestStop(Throwable cause) {
        target().requestStop(cause);
    }

    @Override
    public void abortFor(TrackedRecord record, long retryDelayMillis) {
        target().abortFor(record, retryDelayMillis);
    }

    private LoopSignals target() {
        LoopSignals target = this.loop;
        if (target == null) {
            throw new IllegalStateException("A handler signalled the poll loop while it was being built");
        }
        return target;
    }

}
