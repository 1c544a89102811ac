package io.ackflow.benchmarks.chaos;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The short chaos run (about two minutes): 100,000 records over 1,000 keys under {@code KEY}
 * ordering, three consumer instances in their own JVMs, a broker in its own, and faults on the
 * short schedule (a SIGKILL of an instance and its restart, a stall past the livelock timeout, a
 * graceful restart, a SIGKILL of the broker and its restart, a second SIGKILL of an instance),
 * with 2 % of first attempts failing and 1 % poison pills. Nothing may be lost, the last
 * processing of each record must be in its key's order, and the group must commit the end of
 * the input. The {@code chaos.*} system properties make it longer (see {@link ChaosSettings}).
 */
class ChaosIT {

    @Test
    void nothingIsLostOrderPerKeyHoldsAndCommitsReachTheEndUnderFaults() throws Exception {
        ChaosSettings settings = ChaosSettings.fromSystemProperties();
        ChaosReport report;
        try (ChaosRun run = new ChaosRun(settings)) {
            report = run.run();
        }
        System.out.println(report.describe());
        assertThat(report.produced()).as("records in the input").isEqualTo(settings.records());
        assertThat(report.lost()).as("lost").isZero();
        assertThat(report.countedLost()).as("never seen by the count listener").isZero();
        assertThat(report.orderViolations()).as("per-key order violations").isZero();
        assertThat(report.committed()).as("committed offsets").isEqualTo(report.end());
        assertThat(report.deadLetteredNotPoison()).as("dead-lettered though not a poison pill").isZero();
        assertThat(report.deadLetters() - report.deadLetterDuplicates()).as("poison pills dead-lettered")
            .isEqualTo(report.poisonPills());
        assertThat(report.logs().stalls()).as("records stalled").isPositive();
        assertThat(report.logs().stallsReported()).as("stalled records the engine reported as stuck")
            .isEqualTo(report.logs().stalls());
    }

}
