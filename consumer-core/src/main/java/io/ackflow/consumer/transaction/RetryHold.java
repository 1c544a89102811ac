package io.ackflow.consumer.transaction;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.flow.PauseController;
import io.ackflow.consumer.flow.PauseReason;

/**
 * Exactly-once: partitions that are read again only after a back-off, paused with reason
 * {@link PauseReason#RETRY} until then. Two causes: a handler failed on one of their records and
 * its error policy asks for a retry delay; or barrier commits kept failing with no record to
 * blame (an output send that failed after its handler returned, a producer error). The first such
 * failure reads again at once; each one after it in a row waits twice as long as the one before,
 * from one second up to {@link #MAX_COMMIT_BACK_OFF}, for every partition (also those assigned
 * meanwhile), so a cause that persists does not redo the same work without end. A commit refused
 * for the group's generation is not counted: the rebalance under way rereads what it must.
 * <p>
 * Threads: {@link #holdAfterFailure} from handler threads; everything else on the poll thread.
 */
final class RetryHold {

    private static final Logger logger = LoggerFactory.getLogger(TransactionalCommits.class);

    /** The longest wait before reading again after commits that keep failing. */
    static final Duration MAX_COMMIT_BACK_OFF = Duration.ofSeconds(30);

    private final PauseController pauses;

    private final Clock clock;

    /** When each held partition may be read again (clock millis). Any thread writes, the poll thread reads. */
    private final Map<TopicPartition, Long> retryAt = new ConcurrentHashMap<>();

    /** Barrier commits failed since the last one that succeeded. Poll thread. */
    private int failedCommitsInARow;

    /** Until when (clock millis) every partition waits after failed commits. Poll thread. */
    private long commitBackOffUntil = Long.MIN_VALUE;

    RetryHold(PauseController pauses, Clock clock) {
        this.pauses = pauses;
        this.clock = clock;
    }

    /** A handler failed on a record of {@code partition}: it is read again no sooner than {@code delayMillis}. Any thread. */
    void holdAfterFailure(TopicPartition partition, long delayMillis) {
        if (delayMillis > 0) {
            this.retryAt.merge(partition, this.clock.millis() + delayMillis, Math::max);
        }
    }

    /** A barrier commit failed: the next read of {@code assigned} waits as said in the class comment. */
    void commitFailed(RuntimeException failure, Collection<TopicPartition> assigned, Object topics) {
        if (failure instanceof CommitFailedException || failure instanceof RebalanceInProgressException) {
            // The group moved on (a new generation): the rebalance rereads what it must; no back-off.
            return;
        }
        this.failedCommitsInARow++;
        long delay = commitBackOffMillis(this.failedCommitsInARow);
        if (delay == 0) {
            return;
        }
        long at = this.clock.millis() + delay;
        this.commitBackOffUntil = at;
        for (TopicPartition partition : assigned) {
            this.retryAt.merge(partition, at, Math::max);
        }
        logger.warn("Transactions of {} failed to commit {} times in a row; reading again in {} ms: {}",
                topics, this.failedCommitsInARow, delay, failure.toString());
    }

    /** A barrier commit succeeded: failures in a row start over. */
    void commitSucceeded() {
        this.failedCommitsInARow = 0;
        this.commitBackOffUntil = Long.MIN_VALUE;
    }

    /** Milliseconds to wait before reading again after the {@code failures}-th failed commit in a row. */
    static long commitBackOffMillis(int failures) {
        if (failures <= 1) {
            return 0;
        }
        return Math.min(MAX_COMMIT_BACK_OFF.toMillis(), 1000L << Math.min(failures - 2, 15));
    }

    /** A partition assigned while failed commits are waited out waits with the others. */
    void assigned(TopicPartition partition) {
        if (this.clock.millis() >= this.commitBackOffUntil) {
            return;
        }
        this.retryAt.merge(partition, this.commitBackOffUntil, Math::max);
        this.pauses.pause(partition, PauseReason.RETRY);
    }

    /**
     * {@code partition} is read again now: paused if its back-off still runs; else the back-off is
     * over and a pause for it from an earlier abort ends here, since nothing else would end it
     * once the entry is gone.
     */
    void rewound(TopicPartition partition, long now) {
        Long at = this.retryAt.get(partition);
        if (at == null) {
            return;
        }
        if (at > now) {
            this.pauses.pause(partition, PauseReason.RETRY);
        }
        else {
            this.retryAt.remove(partition);
            this.pauses.resume(partition, PauseReason.RETRY);
        }
    }

    /**
     * Resumes partitions whose back-off is over.
     * @return milliseconds until the next back-off ends; {@code Long.MAX_VALUE} when none runs
     */
    long resumeDue(long now) {
        if (this.retryAt.isEmpty()) {
            return Long.MAX_VALUE;
        }
        long next = Long.MAX_VALUE;
        var entries = this.retryAt.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<TopicPartition, Long> entry = entries.next();
            TopicPartition partition = entry.getKey();
            if (entry.getValue() <= now) {
                entries.remove();
                this.pauses.resume(partition, PauseReason.RETRY);
            }
            else if (this.pauses.has(partition, PauseReason.RETRY)) {
                next = Math.min(next, entry.getValue() - now);
            }
        }
        return Math.max(0, next);
    }

    /** Partitions left. */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(this.retryAt::remove);
    }

}
