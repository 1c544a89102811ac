package io.ackflow.consumer.dispatch;

/** What one turn of a delivery came to, and so which of its slots the runner frees. */
enum Step {

    /** Released: its slots are free. */
    DONE,

    /** Waits for a retry (or a dead-letter resend), then runs again. */
    WAIT,

    /** Stopped the engine: nothing more runs in this subscription. */
    HALT,

    /** Left unreleased on purpose (its partition is being handed over): its slots are free. */
    ABANDON,

    /** The handler returned a stage that has not completed; it is in {@link Delivery#stage}. */
    ASYNC

}
