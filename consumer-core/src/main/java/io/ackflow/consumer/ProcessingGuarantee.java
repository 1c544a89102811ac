package io.ackflow.consumer;

/**
 * What the engine promises about the effects of processing a record.
 */
public enum ProcessingGuarantee {

    /**
     * Every record is processed at least once: an offset is committed only after every
     * subscription released its record, so a crash or a rebalance makes the next owner process
     * again what was in flight (and, without an offset map, what was acked above a gap).
     */
    AT_LEAST_ONCE,

    /**
     * Consume, transform, produce: what handlers send through the engine's transactional producer
     * and the offsets of the records they consumed are committed in one Kafka transaction, so a
     * {@code read_committed} reader sees each input's effect exactly once, across crashes and
     * rebalances. Transactions end at barriers, where every record dispatched in them is acked;
     * a handler failure aborts the transaction and its records are read again.
     */
    EXACTLY_ONCE

}
