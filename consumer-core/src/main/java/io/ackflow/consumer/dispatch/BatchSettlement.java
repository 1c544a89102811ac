package io.ackflow.consumer.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.failure.BatchFailedException;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.failure.SkipRecordException;

/**
 * What follows one turn of a batch, record by record, on top of the single-record
 * {@link Settlement} (which still releases, retries and recovers each record):
 * <ul>
 * <li>before the handler is called, records that do not go to it are settled apart: those of a
 * partition that was handed over (released), those whose recovery is under way (recovered
 * again), and poison pills (recovered alone, left out of the batch);</li>
 * <li>a call that succeeded releases every record;</li>
 * <li>a {@link BatchFailedException} naming a record releases the records before it, hands that
 * record alone to the single-record settlement (its retries call the handler with it alone, then
 * its recovery), and hands the records after it back to the scheduler, to be taken again;</li>
 * <li>any other failure of a batch of several records retries the whole batch under the error
 * policy's back-off, then recovers each record of it; the failure of a batch of one is that
 * record's.</li>
 * </ul>
 * Threads: the thread that runs the batch. Keeps no state of its own.
 */
final class BatchSettlement {

    private static final Logger logger = LoggerFactory.getLogger(SubscriptionRunner.class);

    private final String subscriptionId;

    private final ErrorPolicy policy;

    private final SubscriptionStats stats;

    private final Settlement records;

    private final BooleanSupplier stopping;

    BatchSettlement(String subscriptionId, ErrorPolicy policy, SubscriptionStats stats, Settlement records,
            BooleanSupplier stopping) {
        this.subscriptionId = subscriptionId;
        this.policy = policy;
        this.stats = stats;
        this.records = records;
        this.stopping = stopping;
    }

    /**
     * Settles the records of {@code batch} that do not go to the handler this turn.
     * @return the records that do, in order; empty when none does or the subscription halted
     */
    List<Delivery> settleApart(Batch batch, Outcome outcome) {
        List<Delivery> live = new ArrayList<>(batch.size());
        for (Delivery delivery : batch.deliveries) {
            if (outcome.halted) {
                outcome.leftOver.add(delivery);
                continue;
            }
            if (delivery.tracked.isLate()) {
                outcome.apply(this.records.release(delivery), delivery);
            }
            else if (delivery.recovering != null) {
                outcome.apply(this.records.recover(delivery, delivery.recovering), delivery);
            }
            else if (delivery.deserializationFailure() != null) {
                outcome.apply(this.records.settle(delivery, delivery.deserializationFailure()), delivery);
            }
            else {
                live.add(delivery);
            }
        }
        if (outcome.halted) {
            outcome.leftOver.addAll(live);
            return List.of();
        }
        return live;
    }

    /** Settles the records {@code live} that the handler was called with, after a call that ended with {@code failure}. */
    void settleCall(Batch batch, List<Delivery> live, Throwable failure, Outcome outcome) {
        if (failure == null) {
            settleEach(live, null, outcome);
            return;
        }
        if (failure instanceof BatchFailedException named) {
            int index = indexOf(named, live);
            if (index >= 0) {
                settleEach(live.subList(0, index), null, outcome);
                outcome.rest = new ArrayList<>(live.subList(index + 1, live.size()));
                settleEach(List.of(live.get(index)), named.failure(), outcome);
                return;
            }
            logger.warn("Subscription '{}' threw {} naming no record of its batch of {}; the whole batch failed",
                    this.subscriptionId, named.toString(), live.size());
            failure = named.failure();
        }
        if (live.size() == 1 || this.stopping.getAsBoolean() || failure instanceof SkipRecordException) {
            // One record's failure, a stop, or a skip: each record's own settlement says what follows.
            settleEach(live, failure, outcome);
            return;
        }
        if (this.policy.isRetryable(failure)) {
            if (batch.backOff == null) {
                batch.backOff = this.policy.backOff().start();
            }
            long delay = batch.backOff.nextDelayMillis();
            if (delay != RetryBackOff.STOP) {
                this.stats.recordRetried();
                logger.debug("Subscription '{}' failed on a batch of {} (attempt {}); retrying it in {} ms: {}",
                        this.subscriptionId, live.size(), live.get(0).attempts, delay, failure.toString());
                outcome.waitFor(live, Math.max(0, delay));
                return;
            }
        }
        for (Delivery delivery : live) {
            if (outcome.halted) {
                outcome.leftOver.add(delivery);
                continue;
            }
            this.stats.recordFailed();
            outcome.apply(this.records.recover(delivery, failure), delivery);
        }
    }

    private void settleEach(List<Delivery> deliveries, Throwable failure, Outcome outcome) {
        for (Delivery delivery : deliveries) {
            if (outcome.halted) {
                outcome.leftOver.add(delivery);
                continue;
            }
            outcome.apply(this.records.settle(delivery, failure), delivery);
        }
    }

    /** The index in {@code live} of the record {@code failure} names, or -1. */
    private static int indexOf(BatchFailedException failure, List<Delivery> live) {
        if (failure.record() == null) {
            return (failure.index() >= 0 && failure.index() < live.size()) ? failure.index() : -1;
        }
        ConsumerRecord<?, ?> named = failure.record();
        for (int i = 0; i < live.size(); i++) {
            if (live.get(i).record() == named) {
                return i;
            }
        }
        for (int i = 0; i < live.size(); i++) {
            ConsumerRecord<byte[], byte[]> raw = live.get(i).tracked.raw();
            if (raw.topic().equals(named.topic()) && raw.partition() == named.partition()
                    && raw.offset() == named.offset()) {
                return i;
            }
        }
        return -1;
    }

    /** What one turn of a batch came to. Confined to the thread running the batch. */
    static final class Outcome {

        /** Records that run again after a wait: a retry, or a dead-letter resend. */
        final List<Delivery> waiting = new ArrayList<>();

        /** Records not settled because the subscription halted: left unreleased. */
        final List<Delivery> leftOver = new ArrayList<>();

        /** Records after a failed one, to be taken into a later batch. */
        List<Delivery> rest = List.of();

        /** How long the waiting records wait. */
        long delayMillis;

        /** Whether a recovery stopped the subscription. */
        boolean halted;

        void apply(Step step, Delivery delivery) {
            switch (step) {
                case WAIT -> waitFor(List.of(delivery), delivery.retryDelayMillis);
                case HALT -> this.halted = true;
                default -> {
                }
            }
        }

        void waitFor(List<Delivery> deliveries, long delayMillis) {
            this.waiting.addAll(deliveries);
            this.delayMillis = Math.max(this.delayMillis, delayMillis);
        }

    }

}
