package io.ackflow.consumer.dispatch;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.RetryBackOff;

/**
 * Exactly-once: a subscription's failed attempts that outlive an aborted transaction.
 * <p>
 * A handler that failed may have sent part of its output in the open transaction, so it is not
 * retried in place: the record stays unreleased, its attempt is remembered here (by the
 * record's coordinates) and the engine is asked to abort the transaction through the
 * {@link SubscriptionRunner.TransactionAbort}. The engine reads the records again from the last
 * committed offsets; when this record comes back, its delivery carries the attempts so far, and
 * when the policy has no retry left, it goes straight to the recovery (skip, dead letter, stop)
 * without calling the handler. The attempts are kept until the transaction that settles the
 * record commits, so an abort caused by another record brings it back with them. Records that
 * cannot be deserialized never reached a handler: they are recovered in the open transaction as
 * under at-least-once, and are not remembered.
 * <p>
 * Under at-least-once there is no transaction to abort: runners use {@link FailedAttempts#IN_PLACE}.
 * <p>
 * Threads: {@link #abort} and {@link #deadLetterFailed} run on the handler thread of the failed
 * delivery; {@link #resume}, {@link #forgetCommitted} and {@link #forgetAttempts} on the poll
 * thread. The attempts are in a concurrent map, since both write it.
 */
final class AttemptMemory implements FailedAttempts {

    /** The runner's: a subscription's failures are logged under one name. */
    private static final Logger logger = LoggerFactory.getLogger(SubscriptionRunner.class);

    private final String subscriptionId;

    private final ErrorPolicy policy;

    private final SubscriptionStats stats;

    /** Aborts the open transaction. */
    private final SubscriptionRunner.TransactionAbort transactionAbort;

    /** The failed attempts of records whose transaction was aborted, until their outcome is committed or their partition goes. */
    private final Map<Coordinates, Attempt> failedAttempts = new ConcurrentHashMap<>();

    AttemptMemory(String subscriptionId, ErrorPolicy policy, SubscriptionStats stats,
            SubscriptionRunner.TransactionAbort transactionAbort) {
        this.subscriptionId = subscriptionId;
        this.policy = policy;
        this.stats = stats;
        this.transactionAbort = Objects.requireNonNull(transactionAbort, "transactionAbort");
    }

    /**
     * A handler's failure aborts the open transaction rather than being retried in place; a
     * poison pill, or a record already in its recovery, is recovered in place.
     */
    @Override
    public Step takeOver(Delivery delivery, Throwable failure) {
        if (delivery.deserializationFailure() != null || delivery.recovering != null) {
            return null;
        }
        abort(delivery, failure);
        return Step.ABANDON;
    }

    @Override
    public Step publishFailed(Delivery delivery, Throwable failure, Throwable sendFailure) {
        deadLetterFailed(delivery, failure, sendFailure);
        return Step.ABANDON;
    }

    /** A record read again after an abort carries the attempts its failures left. Poll thread. */
    @Override
    public void resume(Delivery delivery) {
        if (this.failedAttempts.isEmpty()) {
            return;
        }
        Attempt attempt = this.failedAttempts.get(Coordinates.of(delivery.tracked.raw()));
        if (attempt == null) {
            return;
        }
        delivery.attempts = attempt.attempts;
        delivery.backOff = attempt.backOff;
        // Applied on its first turn, where a poison pill is told apart (deserializing is not the poll thread's job).
        delivery.resumedRecovery = attempt.recovery;
    }

    /**
     * A handler failed and may have sent part of its output, so the transaction is aborted and the
     * record read again; what the policy says of the next attempt is remembered for then. The
     * record stays unreleased, and the delivery is done with it.
     */
    void abort(Delivery delivery, Throwable failure) {
        if (delivery.tracked.isLate()) {
            // The handler outlived its record's assignment or transaction: the record is read
            // again (by this member after a rewind, with attempts afresh, or by the next owner).
            // Its attempt is not remembered, or that read would go straight to the recovery. The
            // open transaction is aborted all the same, in case the handler sent into it.
            logger.debug("Subscription '{}' failed on {} after its record was retired; aborting the open transaction:"
                    + " {}", this.subscriptionId, delivery.tracked, failure.toString());
            this.transactionAbort.abortFor(delivery.tracked, 0);
            delivery.tracked.finished();
            return;
        }
        Attempt attempt = new Attempt(delivery.attempts, delivery.backOff);
        long delay = RetryBackOff.STOP;
        if (this.policy.isRetryable(failure)) {
            if (attempt.backOff == null) {
                attempt.backOff = this.policy.backOff().start();
            }
            delay = attempt.backOff.nextDelayMillis();
        }
        if (delay != RetryBackOff.STOP) {
            this.stats.recordRetried();
            logger.debug("Subscription '{}' failed on {} (attempt {}); aborting the transaction, retried in {} ms"
                    + " when the record is read again: {}", this.subscriptionId, delivery.tracked, delivery.attempts,
                    Math.max(0, delay), failure.toString());
        }
        else {
            attempt.recovery = failure;
            this.stats.recordFailed();
            logger.info("Subscription '{}' failed on {} after {} attempt(s); aborting the transaction, the record gets"
                    + " its recovery ({}) when it is read again: {}", this.subscriptionId, delivery.tracked,
                    delivery.attempts, this.policy.recovery(), failure.toString());
        }
        this.failedAttempts.put(Coordinates.of(delivery.tracked.raw()), attempt);
        // Told before the record's slot is freed: the engine does not end the transaction while a
        // handler of it runs, so it sees this request before it aborts.
        this.transactionAbort.abortFor(delivery.tracked, Math.max(0, (delay == RetryBackOff.STOP) ? 0 : delay));
        delivery.tracked.finished();
    }

    /**
     * A dead-letter send failed, and a failed send leaves the transactional producer unable to
     * commit (a send that only seemed to fail may also be in the transaction already). The
     * transaction is aborted; the record comes back to its recovery after the dead-letter retry
     * interval. The record stays unreleased, and the delivery is done with it.
     */
    void deadLetterFailed(Delivery delivery, Throwable failure, Throwable sendFailure) {
        Attempt attempt = new Attempt(delivery.attempts, delivery.backOff);
        attempt.recovery = failure;
        this.failedAttempts.put(Coordinates.of(delivery.tracked.raw()), attempt);
        long interval = this.policy.deadLetterRetryInterval().toMillis();
        logger.warn("Subscription '{}': publishing {} to its dead-letter topic failed; aborting the transaction, the"
                + " record is published again in {} ms, when it is read again: {}", this.subscriptionId,
                delivery.tracked, interval, sendFailure.toString());
        this.transactionAbort.abortFor(delivery.tracked, interval);
        delivery.tracked.finished();
    }

    /**
     * Forgets the failed attempts of records below the committed offsets: their outcome is
     * committed. Until then an abort may bring them back, and they must come back with their
     * attempts (a record whose retries are over goes to its recovery again, not to its handler).
     * Poll thread.
     */
    @Override
    public void forgetCommitted(Map<TopicPartition, Long> committed) {
        if (!this.failedAttempts.isEmpty()) {
            this.failedAttempts.keySet().removeIf((key) -> {
                Long offset = committed.get(key.partition());
                return offset != null && key.offset() < offset;
            });
        }
    }

    /** Forgets the failed attempts of records of {@code partitions}: another member counts its own. Poll thread. */
    @Override
    public void forgetAttempts(Set<TopicPartition> partitions) {
        if (!this.failedAttempts.isEmpty()) {
            this.failedAttempts.keySet().removeIf((key) -> partitions.contains(key.partition()));
        }
    }

    /** Where a record is: the key of the attempts remembered across an abort. */
    private record Coordinates(TopicPartition partition, long offset) {

        static Coordinates of(ConsumerRecord<?, ?> raw) {
            return new Coordinates(new TopicPartition(raw.topic(), raw.partition()), raw.offset());
        }

    }

    /** The failed attempts of a record whose transaction was aborted, and its recovery once retries are over. */
    private static final class Attempt {

        final int attempts;

        RetryBackOff.Execution backOff;

        /** The final failure once the policy has no retry left: the next delivery recovers; else null. */
        Throwable recovery;

        Attempt(int attempts, RetryBackOff.Execution backOff) {
            this.attempts = attempts;
            this.backOff = backOff;
        }

    }

}
