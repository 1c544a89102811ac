package io.ackflow.consumer.loop;

import java.time.Instant;

import io.ackflow.consumer.commit.CommitFailures;
import io.ackflow.consumer.state.CoordinatorWatch;
import io.ackflow.consumer.state.ProgressSnapshot;

/**
 * Takes the {@link ProgressSnapshot} that goes out with each engine snapshot: when the loop
 * began, when poll last returned ({@link Poller}), the commits that keep failing
 * ({@link CommitFailures}) and the last heartbeat to the group coordinator
 * and the connections to brokers ({@link CoordinatorWatch}, whose metrics it reads once per
 * snapshot).
 * <p>
 * Threads: the poll thread alone.
 */
final class ProgressProbe {

    private final Poller poller;

    private final CommitFailures commitFailures;

    private final CoordinatorWatch coordinator;

    /** Clock millis when the loop began to poll, or MIN_VALUE before. */
    private long startedAt = Long.MIN_VALUE;

    ProgressProbe(Poller poller, CommitFailures commitFailures, CoordinatorWatch coordinator) {
        this.poller = poller;
        this.commitFailures = commitFailures;
        this.coordinator = coordinator;
    }

    /** The loop began to poll at {@code now} (clock millis). */
    void started(long now) {
        this.startedAt = now;
    }

    /** What the loop's progress is at {@code now} (clock millis). */
    ProgressSnapshot take(long now) {
        if (this.startedAt == Long.MIN_VALUE) {
            return ProgressSnapshot.NONE;
        }
        this.coordinator.read(now);
        this.commitFailures.retainAssigned();
        return new ProgressSnapshot(instant(this.startedAt), instant(this.poller.lastReturnAt()),
                this.commitFailures.failures(), instant(this.commitFailures.failingSince()),
                this.commitFailures.partitions(), this.commitFailures.lastFailure(), this.coordinator.reported(),
                instant(this.coordinator.lastHeartbeatAt()), this.coordinator.connections());
    }

    private static Instant instant(long millis) {
        return (millis == Long.MIN_VALUE) ? null : Instant.ofEpochMilli(millis);
    }

}
