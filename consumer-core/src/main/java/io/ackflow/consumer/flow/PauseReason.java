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
    REBALANCE

}
