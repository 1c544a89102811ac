package io.ackflow.consumer.tracking;

/**
 * How a share consumer tells the broker a record was settled, once every subscription released
 * it; declared weakest first, so that a record's strongest outcome wins.
 */
public enum RecordOutcome {

    /** Every subscription handled it, or a recovery settled it (skipped, dead-lettered). */
    ACCEPT,

    /** A recovery asked for it to be delivered again. */
    RELEASE,

    /** A recovery asked for it never to be delivered again. */
    REJECT

}
