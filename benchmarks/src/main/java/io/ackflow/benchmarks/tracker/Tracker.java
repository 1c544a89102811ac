package io.ackflow.benchmarks.tracker;

/**
 * The loop shape every offset tracker in the benchmark runs: track a polled offset, ack it later
 * by the handle {@link #track} returned, ask for the committable offset.
 */
interface Tracker {

    long track(long offset);

    void ack(long handle);

    long committable();

}
