package io.ackflow.benchmarks.harness;

/**
 * A consumer library under test: starts reading per the spec and reports each completed record
 * to the probe; stops cleanly.
 */
interface Arm {

    String name();

    void start(Spec spec, Probe probe) throws Exception;

    void stop() throws Exception;

}
