package io.ackflow.consumer.dispatch;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * One record on its way to one subscription: the shared tracked record, the subscription's
 * index among its topic's subscriptions, and the record as this subscription's deserializers
 * made it. Created on the poll thread; handed to one handler thread at a time afterwards.
 */
final class Delivery {

    final TrackedRecord tracked;

    final int holderIndex;

    final ConsumerRecord<Object, Object> record;

    /** Set by the runner when queued; read under the runner's lock or by the thread that runs this delivery. */
    SubscriptionRunner.Lane lane;

    /** When its handler was called (clock millis), 0 before; written by the running thread, read by the poll thread. */
    volatile long startedAt;

    /** The thread its handler was called on, null before. */
    volatile Thread thread;

    Delivery(TrackedRecord tracked, int holderIndex, ConsumerRecord<Object, Object> record) {
        this.tracked = tracked;
        this.holderIndex = holderIndex;
        this.record = record;
    }

}
