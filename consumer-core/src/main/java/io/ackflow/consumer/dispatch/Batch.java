package io.ackflow.consumer.dispatch;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.ackflow.consumer.failure.RetryBackOff;

/**
 * Deliveries of one batch subscription handed to its handler together, and what the batch holds
 * while it runs or waits for a retry: its {@link BatchPool} (under {@code PARTITION} the pool is
 * busy until the batch is done) and the keys of its records (under {@code KEY} no other batch
 * takes a record of those keys meanwhile).
 * <p>
 * Threads: made by the {@link BatchScheduler} under its monitor; then held by one thread at a time
 * (a handler thread for a turn, the retry scheduler while it waits), like a {@link Delivery}. The
 * scheduler reads {@link #deliveries}, {@link #pool} and {@link #keys} only under its monitor while
 * the batch is parked or when the running thread hands it back.
 */
final class Batch {

    /** The pool the records came from. */
    final BatchPool pool;

    /** The records still to settle, in the order the handler gets them. */
    List<Delivery> deliveries;

    /** The records the batch took and did not hand back: they are marked over when it is done. */
    final List<Delivery> taken;

    /** The lane keys held under {@code KEY}; empty otherwise. */
    final Set<Object> keys = new HashSet<>();

    /** When the current handler call started ({@link System#nanoTime()}). */
    long attemptStartedNanos;

    /** The back-off of retries of the whole batch, started at its first failure. */
    RetryBackOff.Execution backOff;

    /** How long to wait before the next turn, when the last one asked for a retry. */
    long retryDelayMillis;

    Batch(BatchPool pool, List<Delivery> deliveries) {
        this.pool = pool;
        this.deliveries = deliveries;
        this.taken = new ArrayList<>(deliveries);
    }

    int size() {
        return this.deliveries.size();
    }

}
