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
    STOP,

    /**
     * Share consumers only: acknowledge the record {@code RELEASE} once every subscription released
     * it, so that the broker delivers it again, to any member of the share group, with its delivery
     * count raised, up to the group's {@code share.delivery.count.limit}. Refused on a consumer group.
     */
    RELEASE,

    /**
     * Share consumers only: acknowledge the record {@code REJECT} once every subscription released it,
     * so that the broker never delivers it again. Refused on a consumer group.
     */
    REJECT;

    /** Whether this recovery is only for share consumers (it settles a record with the broker). */
    public boolean shareOnly() {
        return this == RELEASE || this == REJECT;
    }

}
