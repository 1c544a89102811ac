package io.ackflow.consumer.dispatch;

import java.util.Arrays;

import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * The lane key of a record under {@link io.ackflow.consumer.Ordering#KEY}: its key within one
 * assignment of its partition (its tracker). A null key groups the partition's keyless records.
 * Made once per record by the conductor, when a subscription of its topic orders by key, and shared
 * by those subscriptions' lane tables; its hash is computed once. Immutable.
 */
final class KeyLane {

    private final OffsetTracker assignment;

    private final byte[] key;

    private final int hash;

    KeyLane(OffsetTracker assignment, byte[] key) {
        this.assignment = assignment;
        this.key = key;
        this.hash = 31 * System.identityHashCode(assignment) + Arrays.hashCode(key);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeyLane lane && lane.hash == this.hash && lane.assignment == this.assignment
                && Arrays.equals(lane.key, this.key);
    }

    @Override
    public int hashCode() {
        return this.hash;
    }

}
