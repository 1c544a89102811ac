package io.ackflow.consumer.transaction;

/**
 * Where an exactly-once engine's open transaction stands; see {@link TransactionalCommits}.
 */
enum TransactionPhase {

    /** Dispatching. */
    OPEN,

    /** Paused until every record of the transaction is acked, then commits. */
    BARRIER,

    /** Paused until no handler of the transaction runs, then aborts and reads again. */
    ABORTING

}
