package io.ackflow.consumer.dispatch;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * One record on its way to one subscription: the shared tracked record, the subscription's
 * index among its topic's subscriptions, and the record as this subscription's deserializers
 * made it (or why they could not). Created on the poll thread; handed to one handler thread at a
 * time afterwards: an attempt, the wait before a retry and the next attempt never overlap, so the
 * attempt state needs no lock.
 */
final class Delivery {

    final TrackedRecord tracked;

    final int holderIndex;

    /** The deserialized record; null when {@link #deserializationFailure} is set. */
    final ConsumerRecord<Object, Object> record;

    /** Why the record could not be deserialized for this subscription, or null. */
    final RuntimeException deserializationFailure;

    /** Set by the lane scheduler when queued; read under its lock or by the thread that runs this delivery. */
    Lane lane;

    /** When its handler was first called (clock millis), 0 before; written by the running thread, read by the poll thread. */
    volatile long startedAt;

    /** The thread its handler was last called on, null before. */
    volatile Thread thread;

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

    Delivery(TrackedRecord tracked, int holderIndex, ConsumerRecord<Object, Object> record) {
        this(tracked, holderIndex, record, null);
    }

    private Delivery(TrackedRecord tracked, int holderIndex, ConsumerRecord<Object, Object> record,
            RuntimeException deserializationFailure) {
        this.tracked = tracked;
        this.holderIndex = holderIndex;
        this.record = record;
        this.deserializationFailure = deserializationFailure;
    }

    /** A delivery of a record that could not be deserialized: it goes to the error policy, never to the handler. */
    static Delivery undeserializable(TrackedRecord tracked, int holderIndex, RuntimeException failure) {
        return new Delivery(tracked, holderIndex, null, failure);
    }

}
