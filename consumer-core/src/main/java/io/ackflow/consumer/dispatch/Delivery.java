package io.ackflow.consumer.dispatch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.state.HandlerRun;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * One record on its way to one subscription: the shared tracked record, the subscription's
 * index among its topic's subscriptions, and the record as this subscription's deserializers
 * make it (or why they cannot), read on first use by a handler thread. Created on the poll thread; handed to one handler thread at a
 * time afterwards: an attempt, the wait before a retry and the next attempt never overlap, so the
 * attempt state needs no lock.
 */
final class Delivery {

    private static final VarHandle STARTED_AT;

    private static final VarHandle THREAD;

    private static final VarHandle OVER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STARTED_AT = lookup.findVarHandle(Delivery.class, "startedAt", long.class);
            THREAD = lookup.findVarHandle(Delivery.class, "thread", Thread.class);
            OVER = lookup.findVarHandle(Delivery.class, "over", boolean.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final TrackedRecord tracked;

    final int holderIndex;

    /** How the record is read for this subscription; null when it takes the polled record as it is. */
    private final DecodedRecord decoded;

    /** This subscription's group in {@link #decoded}. */
    private final int group;

    /** The record or the deserialization failure, once resolved by the thread running this delivery. */
    private Object resolved;

    /** The record's {@link KeyLane}, shared by its deliveries, when a subscription of its topic orders by key; else null. */
    final KeyLane keyLane;

    /** A remembered recovery (exactly-once: a record read again after an abort), applied on its first turn. */
    Throwable resumedRecovery;

    /** Set by the lane scheduler when queued; read under its lock or by the thread that runs this delivery. */
    Lane lane;

    /** When its handler was first called (clock millis), 0 before; written by the running thread, read by the poll thread. */
    volatile long startedAt;

    /** The thread its handler was last called on, null before. */
    volatile Thread thread;

    /**
     * Set by the lane scheduler once the delivery is done, halted or abandoned: it no longer runs
     * on its record. Read by any thread for the diagnostics.
     */
    volatile boolean over;

    /**
     * The delivery of the same record to the subscription at the next holder index, or null: the
     * conductor chains a record's deliveries and attaches the first to the record, so the
     * diagnostics find the handler running on a record without a lookup table. Set on the poll
     * thread before the record is attached.
     */
    Delivery nextOfRecord;

    /** When the current handler call started ({@link System#nanoTime()}). */
    long attemptStartedNanos;

    /** Handler calls so far. */
    int attempts;

    /** The back-off of this record's retries, started at its first failure. */
    RetryBackOff.Execution backOff;

    /** Set once retries are over and the recovery (a dead-letter send) is under way: a further turn recovers again. */
    Throwable recovering;

    /** The stage of the attempt under way while it runs asynchronously; null otherwise. */
    java.util.concurrent.CompletionStage<?> stage;

    /** How long to wait before the next turn, when the last one asked for a retry. */
    long retryDelayMillis;

    /**
     * @param decoded how the record is read, shared by the deliveries of one record; null for a
     *        subscription that takes the polled record as it is
     * @param group the subscription's group in {@code decoded}
     */
    Delivery(TrackedRecord tracked, int holderIndex, DecodedRecord decoded, int group, KeyLane keyLane) {
        this.tracked = tracked;
        this.holderIndex = holderIndex;
        this.decoded = decoded;
        this.group = group;
        this.keyLane = keyLane;
    }

    /** A delivery of a record already deserialized. */
    Delivery(TrackedRecord tracked, int holderIndex, ConsumerRecord<Object, Object> record) {
        this(tracked, holderIndex, DecodedRecord.of(record), 0, null);
    }

    /** A delivery of a record that could not be deserialized: it goes to the error policy, never to the handler. */
    static Delivery undeserializable(TrackedRecord tracked, int holderIndex, RuntimeException failure) {
        return new Delivery(tracked, holderIndex, DecodedRecord.of(failure), 0, null);
    }

    /**
     * The record as this subscription's deserializers make it, or null when they cannot read it
     * ({@link #deserializationFailure}). Deserializes on first use. The thread running this delivery.
     */
    @SuppressWarnings("unchecked")
    ConsumerRecord<Object, Object> record() {
        Object result = resolve();
        return (result instanceof ConsumerRecord<?, ?> record) ? (ConsumerRecord<Object, Object>) record : null;
    }

    /** Why this subscription's deserializers cannot read the record, or null. The thread running this delivery. */
    RuntimeException deserializationFailure() {
        return (resolve() instanceof RuntimeException failure) ? failure : null;
    }

    /**
     * Applies a recovery remembered across an abort ({@link #resumedRecovery}), once: not to a
     * poison pill, which is recovered from its deserialization failure. The thread running this delivery.
     */
    void applyResumedRecovery() {
        if (this.resumedRecovery != null) {
            if (deserializationFailure() == null) {
                this.recovering = this.resumedRecovery;
            }
            this.resumedRecovery = null;
        }
    }

    /**
     * Its handler is being called on {@code thread}; the first call also sets {@link #startedAt}
     * to {@code nowMillis}. The thread running this delivery. Release stores: the diagnostics
     * that read them on another thread need no fence on the handler's path.
     */
    void called(Thread thread, long nowMillis) {
        THREAD.setRelease(this, thread);
        if ((long) STARTED_AT.getOpaque(this) == 0) {
            STARTED_AT.setRelease(this, nowMillis);
        }
    }

    /**
     * Whether its handler was called before on this delivery (a delivery that an exactly-once
     * abort brought back with its attempts counts as not called). The thread running this delivery.
     */
    boolean wasCalled() {
        return (long) STARTED_AT.getOpaque(this) != 0;
    }

    /** It no longer runs on its record: done, halted or abandoned. Under the lane scheduler's lock. */
    void markOver() {
        OVER.setRelease(this, true);
    }

    /**
     * The handler of the subscription at {@code holderIndex} running on {@code record} (called and
     * not done; waiting for a retry counts), named {@code subscriptionId}; null when it has not
     * been called, is done, or the record's deliveries were not attached. Any thread.
     */
    static HandlerRun runningOn(TrackedRecord record, int holderIndex, String subscriptionId) {
        Delivery delivery = (record.attachment() instanceof Delivery first) ? first : null;
        while (delivery != null && delivery.holderIndex != holderIndex) {
            delivery = delivery.nextOfRecord;
        }
        if (delivery == null || delivery.over) {
            return null;
        }
        long startedAt = delivery.startedAt;
        if (startedAt == 0) {
            return null;
        }
        Thread thread = delivery.thread;
        return new HandlerRun(subscriptionId, startedAt, (thread != null) ? thread.getName() : "?");
    }

    private Object resolve() {
        Object result = this.resolved;
        if (result == null) {
            result = (this.decoded != null) ? this.decoded.result(this.group) : this.tracked.raw();
            this.resolved = result;
        }
        return result;
    }

}
