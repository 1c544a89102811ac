package io.ackflow.consumer.flow;

/**
 * Why a partition is paused. Reasons are tracked apart: a partition is fetched again only when
 * it has none left, so resuming for one reason never undoes another.
 */
public enum PauseReason {

    /** Too many of its records (or of the engine's) are in flight. */
    FLOW_CONTROL,

    /** The application asked for it. */
    USER,

    /** The engine is stopping or handing partitions over. */
    REBALANCE,

    /**
     * Exactly-once: the open transaction is ending (its records are finishing before the commit,
     * or it is being aborted); fetching resumes when the next one may begin.
     */
    TRANSACTION,

    /**
     * Exactly-once: the partition is read again after a back-off: a handler failed on one of its
     * records (the error policy's retry back-off), or barrier commits kept failing.
     */
    RETRY

}
