package io.ackflow.benchmarks.chaos.app;

/**
 * What the chaos producer writes, as JSON: the {@code seq}-th record of {@code key} (from 0), and
 * {@code n}, its place among all records produced.
 */
public record ChaosEvent(String key, long seq, long n) {
}
