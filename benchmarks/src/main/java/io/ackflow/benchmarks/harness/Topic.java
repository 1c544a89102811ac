package io.ackflow.benchmarks.harness;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A pre-produced topic and the per-record scratch space that {@link Completions} uses on it: one
 * byte per record (a bit per handler) and one start time per sampled record. Allocated once, when
 * the topic is produced, and cleared before each run, so every run starts from the same heap.
 * Only the harness thread calls {@link #clear}, between runs.
 */
final class Topic {

    final String name;

    final Payload payload;

    final int keys;

    /** Records of each partition; offsets are dense from 0 (no transactions, no compaction). */
    final long[] records;

    final byte[][] handlerBits;

    final AtomicLongArray[] sampledStarts;

    Topic(String name, Payload payload, int keys, long[] records) {
        this.name = name;
        this.payload = payload;
        this.keys = keys;
        this.records = records.clone();
        this.handlerBits = new byte[records.length][];
        this.sampledStarts = new AtomicLongArray[records.length];
        for (int p = 0; p < records.length; p++) {
            this.handlerBits[p] = new byte[Math.toIntExact(records[p])];
            this.sampledStarts[p] = new AtomicLongArray(Math.toIntExact(records[p] / Completions.SAMPLE_EVERY + 1));
        }
    }

    long total() {
        return Arrays.stream(this.records).sum();
    }

    int partitions() {
        return this.records.length;
    }

    void clear() {
        for (int p = 0; p < this.records.length; p++) {
            Arrays.fill(this.handlerBits[p], (byte) 0);
            for (int i = 0; i < this.sampledStarts[p].length(); i++) {
                this.sampledStarts[p].set(i, 0);
            }
        }
    }

}
