package io.ackflow.benchmarks.harness;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Which handlers are done with each record of one run: one bit per handler in the topic's byte
 * per record, set with an atomic or. The call that completes a record's bits reports it to the
 * {@link Probe}; a bit that was already set is a duplicate delivery. After the run, every record
 * below the committed offsets must have all its bits: committed means seen by every handler.
 * <p>
 * Every handler call of every arm does the same work here (one atomic or, a type check of the
 * value, and for one record in {@value #SAMPLE_EVERY} two clock reads), so the harness costs all
 * arms alike and little. Handler threads call {@link #handled}; the harness thread the rest.
 */
final class Completions {

    /** One record in this many (by offset) has its service latency measured. */
    static final int SAMPLE_EVERY = 16;

    private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(byte[].class);

    private final Topic topic;

    private final int allBits;

    private final int handlers;

    private final Probe probe;

    private final LongAdder duplicates = new LongAdder();

    private final LongAdder badValues = new LongAdder();

    Completions(Topic topic, int handlers, Probe probe) {
        if (handlers < 1 || handlers > 8) {
            throw new IllegalArgumentException("1 to 8 handlers per record, not " + handlers);
        }
        topic.clear();
        this.topic = topic;
        this.handlers = handlers;
        this.allBits = (1 << handlers) - 1;
        this.probe = probe;
    }

    /** What a handler calls before running: the time it started for a sampled record, else 0. */
    static long started(long offset) {
        return (offset % SAMPLE_EVERY == 0) ? System.nanoTime() : 0;
    }

    /** Handler number {@code handler} (from 0) is done with the record at partition/offset. */
    void handled(int handler, int partition, long offset, Object value, long startedAt) {
        if (!this.topic.payload.valid(value)) {
            this.badValues.increment();
        }
        int slot = (int) (offset / SAMPLE_EVERY);
        if (startedAt != 0 && this.handlers > 1) {
            // Before the bit, so that the handler completing the record sees the earliest start.
            this.topic.sampledStarts[partition].accumulateAndGet(slot, startedAt,
                    (current, start) -> (current == 0) ? start : Math.min(current, start));
        }
        int bit = 1 << handler;
        int before = (byte) BITS.getAndBitwiseOr(this.topic.handlerBits[partition], (int) offset, (byte) bit) & 0xff;
        if ((before & bit) != 0) {
            this.duplicates.increment();
        }
        else if ((before | bit) == this.allBits) {
            this.probe.completed((startedAt != 0 && this.handlers > 1) ? this.topic.sampledStarts[partition].get(slot)
                    : startedAt);
        }
    }

    /** Handler deliveries of a record that handler had already done. */
    long duplicates() {
        return this.duplicates.sum();
    }

    /** Values that were not what the payload should deserialize to. */
    long badValues() {
        return this.badValues.sum();
    }

    /**
     * Records below {@code committed} (next offset to read, per partition) that some handler has
     * not done: each one is a record committed without being processed.
     */
    long missingBelow(Map<Integer, Long> committed) {
        long missing = 0;
        for (Map.Entry<Integer, Long> entry : committed.entrySet()) {
            byte[] bits = this.topic.handlerBits[entry.getKey()];
            int end = (int) Math.min(entry.getValue(), bits.length);
            for (int i = 0; i < end; i++) {
                if ((bits[i] & 0xff) != this.allBits) {
                    missing++;
                }
            }
        }
        return missing;
    }

}
