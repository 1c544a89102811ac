package io.ackflow.benchmarks.harness;

import java.util.List;

/**
 * A consumer library under test: starts reading per the spec, tells {@link Completions} each time
 * one of its handlers is done with a record, and stops cleanly.
 */
interface Arm {

    String name();

    void start(Spec spec, Completions completions) throws Exception;

    /**
     * Stops and returns when the library says it has stopped.
     * @return false when the library reports that its own shutdown timeout passed
     */
    boolean stop() throws Exception;

    /**
     * Whether a thread of this name, started by this arm, owns one of its KafkaConsumers: the
     * threads whose CPU time is the arm's poll-thread cost.
     */
    boolean isPollThread(String threadName);

    /**
     * Whether one poll thread does all that a record needs before its handlers, so that 1 / its
     * CPU per record is the most one consumer can feed: false when the work is spread over
     * several consumers or the dispatch runs on another thread.
     */
    default boolean hasCeiling() {
        return true;
    }

    /**
     * Whether the arm commits offsets in consumer groups ({@link #groups}); false for the share
     * arms, whose share groups acknowledge records instead: their runs check no committed offsets.
     */
    default boolean commitsOffsets() {
        return true;
    }

    /** The consumer groups the arm commits in (one per handler for arms that fan out by groups). */
    default List<String> groups(Spec spec) {
        return List.of(spec.group());
    }

}
