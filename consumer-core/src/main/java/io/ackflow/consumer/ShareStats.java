package io.ackflow.consumer;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of a share consumer's acknowledgements, safe to update and read from any
 * thread. A read is a moment's view.
 * <p>
 * Terms: a record is <b>acquired</b> when poll hands it to this member under an acquisition lock;
 * it is then settled with the broker once, as <b>accepted</b>, <b>released</b> (delivered again)
 * or <b>rejected</b> (never again). A record whose lock <b>expired</b> before every subscription
 * released it was given up by the broker (which delivers it again, to any member); if its
 * handlers finish later, that <b>late completion</b> is not acknowledged.
 */
public final class ShareStats {

    private final LongAdder acquired = new LongAdder();

    private final LongAdder accepted = new LongAdder();

    private final LongAdder released = new LongAdder();

    private final LongAdder rejected = new LongAdder();

    private final LongAdder lockWarnings = new LongAdder();

    private final LongAdder expired = new LongAdder();

    private final LongAdder lateCompletions = new LongAdder();

    private final LongAdder acknowledgementFailures = new LongAdder();

    /** Records acquired by poll. */
    public long acquired() {
        return this.acquired.sum();
    }

    /** Records acknowledged {@code ACCEPT}. */
    public long accepted() {
        return this.accepted.sum();
    }

    /** Records acknowledged {@code RELEASE}: by a recovery, or on stop before their handlers started. */
    public long released() {
        return this.released.sum();
    }

    /** Records acknowledged {@code REJECT}. */
    public long rejected() {
        return this.rejected.sum();
    }

    /** Records reported as held close to the end of their acquisition lock. */
    public long lockWarnings() {
        return this.lockWarnings.sum();
    }

    /** Records whose acquisition lock expired before every subscription released them. */
    public long expired() {
        return this.expired.sum();
    }

    /** Records of an expired lock whose subscriptions all released them afterwards; not acknowledged. */
    public long lateCompletions() {
        return this.lateCompletions.sum();
    }

    /** Acknowledgements the broker did not apply (its answer to a commit of acknowledgements). */
    public long acknowledgementFailures() {
        return this.acknowledgementFailures.sum();
    }

    public void recordAcquired(int count) {
        this.acquired.add(count);
    }

    public void recordAccepted() {
        this.accepted.increment();
    }

    public void recordReleased(int count) {
        this.released.add(count);
    }

    public void recordRejected() {
        this.rejected.increment();
    }

    public void recordLockWarnings(int count) {
        this.lockWarnings.add(count);
    }

    public void recordExpired(int count) {
        this.expired.add(count);
    }

    public void recordLateCompletion() {
        this.lateCompletions.increment();
    }

    public void recordAcknowledgementFailures(int count) {
        this.acknowledgementFailures.add(count);
    }

    @Override
    public String toString() {
        return "ShareStats[acquired=" + acquired() + ", accepted=" + accepted() + ", released=" + released()
                + ", rejected=" + rejected() + ", expired=" + expired() + ", lateCompletions=" + lateCompletions() + "]";
    }

}
