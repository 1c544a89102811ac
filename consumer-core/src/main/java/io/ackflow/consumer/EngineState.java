package io.ackflow.consumer;

/**
 * Where an engine is in its life.
 */
public enum EngineState {

    /** Built, not started. */
    NEW,

    /** Polling and dispatching. */
    RUNNING,

    /** A stop was asked for: draining in-flight records before the final commit. */
    STOPPING,

    /** Stopped on purpose, after its final commit. */
    STOPPED,

    /** Stopped on an unexpected error; {@link AckflowEngine#failure()} tells which. */
    FAILED

}
