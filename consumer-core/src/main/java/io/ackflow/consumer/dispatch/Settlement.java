package io.ackflow.consumer.dispatch;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.FailedRecord;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.failure.SkipRecordException;
import io.ackflow.consumer.failure.SubscriptionFailedException;
import io.ackflow.consumer.tracking.RecordOutcome;

/**
 * What follows a delivery's attempt: the release of a record that was handled or skipped, and
 * for a failure, the subscription's {@link ErrorPolicy}: a retry, or a recovery (skip, dead
 * letter, stop; on a share consumer also release and reject, which set the outcome the broker is
 * told) once retries are over or when the failure is not retryable.
 * <p>
 * A retry waits on the retry scheduler, holding no thread and no concurrency slot (which lane
 * slot it keeps is the {@link LaneScheduler}'s to say). A dead-letter send that fails waits and
 * is tried again the same way. A {@link Recovery#STOP} leaves the record unreleased and asks the
 * engine to stop, and so does a delivery that the executor or the retry scheduler refuses while
 * the runner is open. A record whose partition is being handed over is not retried here: it stays
 * unreleased, so uncommitted, and the next owner reads it. Under exactly-once a handler's
 * failure is not retried in place but aborts the transaction: the runner's {@link FailedAttempts}
 * takes it over ({@link AttemptMemory}); under at-least-once ({@link FailedAttempts#IN_PLACE}) it
 * never does.
 * <p>
 * {@link #turn} makes an attempt through the {@link HandlerInvoker} and settles it.
 * <p>
 * Threads: {@link #turn}, {@link #settle} and {@link #recover} run on the thread that runs the delivery. A
 * failed asynchronous attempt is settled on the executor, never on the thread that completed its
 * stage (which may be a client's I/O thread, where a blocking dead-letter send must not run); a
 * successful one is released on the completing thread. {@link #cannotRun} runs on the thread
 * that was handing the delivery over: the poll thread, a handler thread or the retry scheduler's.
 * Settlement keeps no state of its own; a delivery's attempt state belongs to the one thread that
 * holds it (see {@link Delivery}).
 */
final class Settlement {

    /** The runner's: a subscription's failures are logged under one name. */
    private static final Logger logger = LoggerFactory.getLogger(SubscriptionRunner.class);

    private final String subscriptionId;

    private final ErrorPolicy policy;

    private final SubscriptionStats stats;

    private final FailedAttempts attempts;

    /** Told when a {@link Recovery#STOP}, or a delivery that cannot run, asks the engine to stop. */
    private final Consumer<Throwable> stopper;

    /** Whether the runner was closed: the engine is stopping. */
    private final BooleanSupplier stopping;

    Settlement(String subscriptionId, ErrorPolicy policy, SubscriptionStats stats, FailedAttempts attempts,
            Consumer<Throwable> stopper, BooleanSupplier stopping) {
        this.subscriptionId = subscriptionId;
        this.policy = policy;
        this.stats = stats;
        this.attempts = attempts;
        this.stopper = stopper;
        this.stopping = stopping;
    }

    /**
     * One turn of a delivery: deserializes the record if no handler of it has yet, calls the
     * handler (or, for a record that could not be deserialized or whose recovery is under way,
     * the error policy) and settles the turn, unless the handler returned a stage still running
     * ({@link Step#ASYNC}). The thread that runs the delivery.
     */
    Step turn(Delivery delivery, HandlerInvoker invoker) {
        if (delivery.tracked.isLate()) {
            // Its partition was revoked, lost or sought away from while it waited: the next owner
            // (or the new position) reads it again, so the handler is not called.
            return release(delivery);
        }
        delivery.applyResumedRecovery();
        if (delivery.recovering != null) {
            return recover(delivery, delivery.recovering);
        }
        RuntimeException poisonPill = delivery.deserializationFailure();
        if (poisonPill != null) {
            return settle(delivery, poisonPill);
        }
        Throwable failure = invoker.call(delivery);
        if (delivery.stage != null) {
            return Step.ASYNC;
        }
        return settle(delivery, failure);
    }

    /** Decides what follows an attempt that ended with {@code failure} (null for success). */
    Step settle(Delivery delivery, Throwable failure) {
        if (failure == null) {
            this.stats.recordHandled();
            return release(delivery);
        }
        if (this.stopping.getAsBoolean()) {
            // The engine is stopping (its handlers may be interrupted by the stop itself): no retry
            // and no recovery; the record stays unreleased and is read again after a restart.
            logger.debug("Subscription '{}' failed on {} while stopping; left for the next start: {}",
                    this.subscriptionId, delivery.tracked, failure.toString());
            delivery.tracked.finished();
            return Step.HALT;
        }
        if (failure instanceof SkipRecordException skip) {
            this.stats.recordSkipped();
            logger.debug("Subscription '{}' skipped {}: {}", this.subscriptionId, delivery.tracked, skip.getMessage());
            return release(delivery);
        }
        Step takenOver = this.attempts.takeOver(delivery, failure);
        if (takenOver != null) {
            return takenOver;
        }
        if (delivery.deserializationFailure() == null && !delivery.tracked.isLate() && this.policy.isRetryable(failure)) {
            if (delivery.backOff == null) {
                delivery.backOff = this.policy.backOff().start();
            }
            long delay = delivery.backOff.nextDelayMillis();
            if (delay != RetryBackOff.STOP && delivery.tracked.tracker().isDraining()) {
                // Its partition is being handed over: the next owner reads the record again, and
                // the drain must not wait out a back-off.
                delivery.tracked.finished();
                return Step.ABANDON;
            }
            if (delay != RetryBackOff.STOP) {
                this.stats.recordRetried();
                delivery.retryDelayMillis = Math.max(0, delay);
                logger.debug("Subscription '{}' failed on {} (attempt {}); retrying in {} ms: {}", this.subscriptionId,
                        delivery.tracked, delivery.attempts, delivery.retryDelayMillis, failure.toString());
                return Step.WAIT;
            }
        }
        this.stats.recordFailed();
        return recover(delivery, failure);
    }

    /** Applies the policy's recovery to a record whose failure is final. */
    Step recover(Delivery delivery, Throwable failure) {
        if (delivery.tracked.isLate()) {
            return release(delivery);
        }
        String id = this.subscriptionId;
        boolean poisonPill = delivery.deserializationFailure() != null;
        String what = poisonPill ? "could not deserialize" : "failed after " + delivery.attempts + " attempt(s) on";
        // A poison pill's cause is the deserializer's exception, whose message may quote the bytes
        // (Jackson's does): WARN and ERROR show only its own message, which names the coordinates.
        // The deserializer's words were logged at DEBUG when the record was read.
        switch (this.policy.recovery()) {
            case SKIP:
                if (poisonPill) {
                    logger.warn("Subscription '{}' {} {}; skipped: the record is released: {}", id, what,
                            delivery.tracked, failure.toString());
                }
                else {
                    logger.warn("Subscription '{}' {} {}; skipped: the record is released", id, what, delivery.tracked,
                            failure);
                }
                return release(delivery);
            case DEAD_LETTER:
                FailedRecord failed = new FailedRecord(id, delivery.tracked.raw(), failure, delivery.attempts);
                try {
                    this.policy.deadLetterPublisher().publish(failed);
                }
                catch (Throwable ex) {
                    Step next = this.attempts.publishFailed(delivery, failure, ex);
                    if (next != null) {
                        return next;
                    }
                    delivery.recovering = failure;
                    delivery.retryDelayMillis = this.policy.deadLetterRetryInterval().toMillis();
                    logger.warn("Subscription '{}': publishing {} to its dead-letter topic failed; tried again in {} ms,"
                            + " the record stays unreleased until then: {}", id, delivery.tracked,
                            delivery.retryDelayMillis, ex.toString());
                    return Step.WAIT;
                }
                this.stats.recordDeadLettered();
                // The stack trace travels in the dead letter's headers; the log names the record.
                logger.warn("Subscription '{}' {} {}; published to its dead-letter topic and released: {}", id, what,
                        delivery.tracked, failure.toString());
                return release(delivery);
            case RELEASE:
            case REJECT:
                RecordOutcome outcome = (this.policy.recovery() == Recovery.RELEASE) ? RecordOutcome.RELEASE
                        : RecordOutcome.REJECT;
                delivery.tracked.settleAs(outcome);
                logger.warn("Subscription '{}' {} {}; settled {} with the broker once every subscription released it:"
                        + " {}", id, what, delivery.tracked, outcome, failure.toString());
                return release(delivery);
            default:
                if (poisonPill) {
                    logger.error("Subscription '{}' {} {}; stopping the engine: the record is not released, so it is"
                            + " not committed and is read again after a restart: {}", id, what, delivery.tracked,
                            failure.toString());
                }
                else {
                    logger.error("Subscription '{}' {} {}; stopping the engine: the record is not released, so it is"
                            + " not committed and is read again after a restart", id, what, delivery.tracked, failure);
                }
                delivery.tracked.finished();
                this.stopper.accept(new SubscriptionFailedException(id, delivery.tracked.toString(), failure));
                return Step.HALT;
        }
    }

    /**
     * A delivery that cannot run ({@code why} says what refused it) stays unreleased, so
     * uncommitted, and is read again after a restart. While the runner is open this means the
     * subscription cannot go on: the engine is asked to stop rather than let the partition stall
     * unnoticed. The delivery is done with its record; its slots are the caller's to free.
     */
    void cannotRun(Delivery delivery, String why) {
        if (!this.stopping.getAsBoolean()) {
            logger.error("Subscription '{}' cannot run {}: {}; stopping the engine", this.subscriptionId,
                    delivery.tracked, why);
            this.stopper.accept(new IllegalStateException(
                    "Subscription '" + this.subscriptionId + "' cannot run " + delivery.tracked + ": " + why));
        }
        else {
            logger.debug("Subscription '{}' did not run {} while stopping: {}", this.subscriptionId, delivery.tracked,
                    why);
        }
        delivery.tracked.finished();
    }

    /** Releases the record for this subscription, exactly once per delivery: the delivery is done. */
    Step release(Delivery delivery) {
        try {
            delivery.tracked.release(delivery.holderIndex);
        }
        finally {
            delivery.tracked.finished();
        }
        return Step.DONE;
    }

}
