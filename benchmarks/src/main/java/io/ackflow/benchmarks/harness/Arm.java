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

    /** Whether one thread owns all the arm's consumers, so that 1 / its cost per record is one consumer's ceiling. */
    default boolean singleConsumer() {
        return true;
    }

    /** The consumer groups the arm commits in (one per handler for arms that fan out by groups). */
    default List<String> groups(Spec spec) {
        return List.of(spec.group());
    }

}
