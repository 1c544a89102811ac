package io.ackflow.consumer.failure;

/**
 * What happens to a record whose handler failed and will not be retried (its retries are spent,
 * its exception is not retryable, or it could not be deserialized).
 */
public enum Recovery {

    /** Log the failure with the record's coordinates, count it, and release the record. */
    SKIP,

    /**
     * Publish the raw record to the dead-letter topic and release it once the broker acknowledged
     * the send; a failed send is tried again, never dropped.
     */
    DEAD_LETTER,

    /**
     * Stop the engine: nothing more is dispatched, running handlers finish, the contiguous acked
     * prefix is committed and the failed record, not released, is read again after a restart.
     */
    STOP

}
