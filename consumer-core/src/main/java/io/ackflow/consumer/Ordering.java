package io.ackflow.consumer;

/**
 * The order in which one subscription's handler sees the records of a partition.
 */
public enum Ordering {

    /**
     * In offset order within each partition, one record of a partition at a time; different
     * partitions run in parallel, up to the subscription's concurrency. The default.
     */
    PARTITION,

    /**
     * In offset order within each key of a partition; different keys run in parallel, up to the
     * subscription's concurrency, which may therefore exceed the number of partitions. Records
     * without a key are ordered with the other keyless records of their partition.
     */
    KEY,

    /**
     * No order: up to the subscription's concurrency records at once.
     */
    UNORDERED

}
