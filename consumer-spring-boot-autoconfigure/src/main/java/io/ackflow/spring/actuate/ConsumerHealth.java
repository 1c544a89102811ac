package io.ackflow.spring.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.state.ProgressSnapshot;
import io.ackflow.consumer.state.ShareSnapshot;

/**
 * The health of one Ackflow consumer and why: its engine {@value #FAILED}; a partition is
 * {@value #STUCK} past the livelock soft timeout; the poll thread {@value #POLL_STALLED} (away
 * from poll for longer than {@link HealthLimits#pollStallTimeout}); {@value #COMMITS_FAILING} for
 * longer than {@link HealthLimits#commitFailureIntervals} commit intervals; the
 * {@value #COORDINATOR_UNREACHABLE} (no heartbeat sent to it for longer than
 * {@link HealthLimits#coordinatorTimeout}, and either no connection to any broker or a silence
 * longer than a rebalance can explain, {@link HealthLimits#rebalanceTimeout}: under the classic
 * protocol the healthy members of a group send no heartbeat while their JoinGroup waits for a
 * slow one, and must not all be DOWN because of it). The last three are checked only while the
 * engine runs, from the snapshot its poll thread published: the poll stall against the engine's
 * clock now (a held poll thread publishes nothing more), the others as of the snapshot. Each reason's
 * details say {@code since} when it began (the last return from poll, the first failed commit,
 * the last heartbeat; the consumer's start when there was none), {@code for} how long and
 * {@code limit} how long is allowed.
 * A share consumer's details also hold its records in hand and lock warning. A share consumer's
 * poll thread does not poll while the records of its last poll are in hand; its progress counts
 * each turn of its loop instead, which waits no longer than the poll timeout.
 * <p>
 * Threads: made on the health check's thread; it reads only what the engine publishes.
 */
final class ConsumerHealth {

    static final String FAILED = "failed";

    static final String STUCK = "stuck-partition";

    static final String POLL_STALLED = "poll-stalled";

    static final String COMMITS_FAILING = "commits-failing";

    static final String COORDINATOR_UNREACHABLE = "coordinator-unreachable";

    private final List<String> reasons = new ArrayList<>();

    /** Each reason's details, under their keys, in the order found. */
    private final Map<String, Object> found = new LinkedHashMap<>();

    private final String state;

    ConsumerHealth(AckflowEngine engine, HealthLimits limits) {
        EngineState state = engine.state();
        this.state = state.name();
        if (state == EngineState.FAILED) {
            Throwable failure = engine.failure();
            add(FAILED, "failure", (failure != null) ? failure.toString() : "unknown");
        }
        if (state == EngineState.RUNNING) {
            EngineSnapshot snapshot = engine.snapshot();
            stuckPartitions(snapshot);
            pollStalled(engine, snapshot.progress(), limits.pollStallTimeout());
            commitsFailing(snapshot, limits.commitFailureTimeout(engine.config().commitInterval()));
            coordinatorUnreachable(snapshot, limits.coordinatorTimeout(), limits.rebalanceTimeout());
            share(engine);
        }
    }

    /**
     * A share consumer's records in hand and whether they were reported close to their lock's
     * expiry: a detail, not a reason to be DOWN (the broker delivers an expired record again).
     */
    private void share(AckflowEngine engine) {
        ShareSnapshot share = engine.shareSnapshot();
        if (share != null) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("group", engine.shareGroup());
            details.put("inHand", share.acquired());
            details.put("lockWarning", share.lockWarning());
            details.put("expired", engine.shareStats().expired());
            this.found.put("share", details);
        }
    }

    boolean down() {
        return !this.reasons.isEmpty();
    }

    /** The consumer's state, its reasons to be DOWN (when any) and the details of each. */
    Map<String, Object> details() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", this.state);
        if (down()) {
            details.put("reasons", List.copyOf(this.reasons));
        }
        details.putAll(this.found);
        return details;
    }

    private void stuckPartitions(EngineSnapshot snapshot) {
        List<Map<String, Object>> stuck = new ArrayList<>();
        for (PartitionSnapshot partition : snapshot.stuckPartitions()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("partition", partition.partition().toString());
            one.put("offset", partition.oldestPendingOffset());
            one.put("heldBy", partition.oldestPendingHolders());
            one.put("runningSince", String.valueOf(partition.oldestPendingStartedAt()));
            one.put("thread", partition.oldestPendingThread());
            stuck.add(one);
        }
        if (!stuck.isEmpty()) {
            add(STUCK, "stuckPartitions", stuck);
        }
    }

    private void pollStalled(AckflowEngine engine, ProgressSnapshot progress, Duration limit) {
        Instant now = engine.config().clock().instant();
        Duration away = progress.awayFromPoll(now);
        if (away.compareTo(limit) > 0) {
            Map<String, Object> stalled = new LinkedHashMap<>();
            stalled.put("thread", "ackflow-poll-" + engine.name());
            stalled.put("since", String.valueOf((progress.lastPollAt() != null) ? progress.lastPollAt()
                    : progress.startedAt()));
            stalled.put("for", away.toString());
            stalled.put("limit", limit.toString());
            add(POLL_STALLED, "pollStalled", stalled);
        }
    }

    private void commitsFailing(EngineSnapshot snapshot, Duration limit) {
        ProgressSnapshot progress = snapshot.progress();
        Duration failing = progress.commitsFailingFor(snapshot.takenAt());
        if (failing.compareTo(limit) > 0) {
            Map<String, Object> commits = new LinkedHashMap<>();
            commits.put("partitions", progress.failingPartitions().stream().map(TopicPartition::toString).toList());
            commits.put("failures", progress.commitFailures());
            commits.put("since", String.valueOf(progress.commitsFailingSince()));
            commits.put("for", failing.toString());
            commits.put("limit", limit.toString());
            commits.put("lastFailure", progress.lastCommitFailure());
            add(COMMITS_FAILING, "commitsFailing", commits);
        }
    }

    private void coordinatorUnreachable(EngineSnapshot snapshot, Duration limit, Duration rebalanceTimeout) {
        ProgressSnapshot progress = snapshot.progress();
        Duration silent = progress.withoutHeartbeatFor(snapshot.takenAt());
        boolean unexplained = progress.brokerConnections() == 0 || silent.compareTo(rebalanceTimeout) > 0;
        if (silent.compareTo(limit) > 0 && unexplained) {
            Map<String, Object> coordinator = new LinkedHashMap<>();
            if (!snapshot.groupId().isEmpty()) {
                coordinator.put("groupId", snapshot.groupId());
            }
            if (progress.brokerConnections() >= 0) {
                coordinator.put("brokerConnections", progress.brokerConnections());
            }
            coordinator.put("since", String.valueOf((progress.lastHeartbeatAt() != null) ? progress.lastHeartbeatAt()
                    : progress.startedAt()));
            coordinator.put("for", silent.toString());
            coordinator.put("limit", limit.toString());
            add(COORDINATOR_UNREACHABLE, "coordinatorUnreachable", coordinator);
        }
    }

    private void add(String reason, String key, Object details) {
        this.reasons.add(reason);
        this.found.put(key, details);
    }

}
