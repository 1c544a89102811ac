package io.ackflow.benchmarks.chaos;

import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * Something the harness did to the system under test, when, and (for the faults that can leave
 * records in flight) the group's committed offsets of the input just before it, or null when
 * the broker could not tell in time.
 *
 * @param epochMillis wall-clock time of the fault, comparable with record timestamps
 * @param relativeMillis milliseconds since the run started
 * @param what what was done, to what
 * @param committedBefore committed offsets of the input read just before the fault
 * @param inFlightUntil until when a record first processed may still be processed again because
 *        of this fault: the SIGKILL itself for a consumer instance (a killed process processes
 *        nothing more), its exit for a graceful stop (it finishes what it dispatched, up to the
 *        shutdown timeout, and what its final commit does not cover is read again); for the broker, until a session timeout and a few commit intervals after
 *        it is back, since members it dropped meanwhile learn so only at their next heartbeat or
 *        commit, and what they processed until then is not committed
 */
record FaultEvent(long epochMillis, long relativeMillis, String what, Map<TopicPartition, Long> committedBefore,
        long inFlightUntil) {

    boolean leavesRecordsInFlight() {
        return this.committedBefore != null;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "+%,9d ms  %s", this.relativeMillis, this.what);
    }

}
