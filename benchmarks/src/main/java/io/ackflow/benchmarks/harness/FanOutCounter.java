package io.ackflow.benchmarks.harness;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the handlers done with each record and reports the record to the probe when all are:
 * the same bookkeeping for every arm that runs two handlers per record.
 */
final class FanOutCounter {

    private final ConcurrentHashMap<Long, long[]> pending = new ConcurrentHashMap<>();

    private final int handlers;

    private final Probe probe;

    FanOutCounter(int handlers, Probe probe) {
        this.handlers = handlers;
        this.probe = probe;
    }

    /** One handler is done with the record at partition/offset, which it started at {@code startedAt}. */
    void done(int partition, long offset, long startedAt) {
        if (this.handlers == 1) {
            this.probe.completed(startedAt);
            return;
        }
        long key = ((long) partition << 48) ^ offset;
        long[] state = this.pending.compute(key, (k, s) -> {
            if (s == null) {
                return new long[] { 1, startedAt };
            }
            s[0]++;
            s[1] = Math.min(s[1], startedAt);
            return s;
        });
        if (state[0] == this.handlers && this.pending.remove(key, state)) {
            this.probe.completed(state[1]);
        }
    }

}
