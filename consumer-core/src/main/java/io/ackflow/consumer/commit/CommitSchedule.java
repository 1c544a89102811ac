package io.ackflow.consumer.commit;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When the next commit is due: once the commit interval has passed since the last one, or as
 * soon as {@code commitEvery} records were acked since. Faust's background commit becomes this
 * deadline, which the poll thread checks at every turn (a poll never blocks past it).
 * <p>
 * Threads: {@link #countAck} is called by handler threads; everything else by the poll thread.
 */
public final class CommitSchedule {

    private final Clock clock;

    private final long intervalMillis;

    private final int commitEvery;

    private final AtomicLong acksSinceCommit = new AtomicLong();

    /** Clock millis of the next deadline. Poll thread. */
    private long nextCommitAt;

    public CommitSchedule(Clock clock, Duration interval, int commitEvery) {
        this.clock = clock;
        this.intervalMillis = interval.toMillis();
        this.commitEvery = commitEvery;
    }

    /** Starts the interval from now. Poll thread. */
    public void restart() {
        this.nextCommitAt = this.clock.millis() + this.intervalMillis;
    }

    /** Makes a commit due at the next turn. Poll thread. */
    public void dueNow() {
        this.nextCommitAt = this.clock.millis();
    }

    /** Milliseconds until the deadline (at most 0 when it has passed). Poll thread. */
    public long untilDue(long now) {
        return this.nextCommitAt - now;
    }

    /**
     * Counts one ack. Any thread.
     * @return true for the ack that makes {@code commitEvery} acks wait: the poll should wake
     */
    public boolean countAck() {
        return this.acksSinceCommit.incrementAndGet() == this.commitEvery;
    }

    /**
     * Whether a commit is due now; when it is, the acks counted so far are taken and the interval
     * starts again. Poll thread.
     */
    public boolean takeIfDue() {
        long now = this.clock.millis();
        long acks = this.acksSinceCommit.get();
        if (now < this.nextCommitAt && acks < this.commitEvery) {
            return false;
        }
        this.acksSinceCommit.addAndGet(-acks);
        this.nextCommitAt = now + this.intervalMillis;
        return true;
    }

}
