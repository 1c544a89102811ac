package io.ackflow.consumer.dispatch;

import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

/**
 * Where a failed attempt goes before the error policy would retry it in place: the seam in
 * dispatch between the processing guarantees, chosen once, when a runner is built.
 * At-least-once ({@link #IN_PLACE}) retries in place and remembers nothing; exactly-once
 * ({@link AttemptMemory}) aborts the open transaction, since the handler may have sent part of
 * its output in it, and remembers the attempt until the record is read again. Neither the
 * settlement nor the runner asks which one is in force.
 * <p>
 * Threads: {@link #takeOver} and {@link #publishFailed} on the handler thread of the failed
 * delivery; the others on the poll thread.
 */
interface FailedAttempts {

    /** At-least-once: failures are retried and recovered in place; nothing outlives a delivery. */
    FailedAttempts IN_PLACE = new FailedAttempts() {
    };

    /**
     * Takes over a failed handler attempt.
     * @return what follows, or null when the error policy retries or recovers it in place
     */
    default Step takeOver(Delivery delivery, Throwable failure) {
        return null;
    }

    /**
     * A dead-letter send failed.
     * @return what follows, or null when the send is tried again in place after the policy's interval
     */
    default Step publishFailed(Delivery delivery, Throwable failure, Throwable sendFailure) {
        return null;
    }

    /** A record read again carries the attempts an earlier read left. */
    default void resume(Delivery delivery) {
    }

    /** Forgets the attempts of records below the committed offsets: their outcome is committed. */
    default void forgetCommitted(Map<TopicPartition, Long> committed) {
    }

    /** Forgets the attempts of records of {@code partitions}: they left this member. */
    default void forgetAttempts(Set<TopicPartition> partitions) {
    }

}
