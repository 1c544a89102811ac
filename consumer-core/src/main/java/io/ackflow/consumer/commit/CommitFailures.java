package io.ackflow.consumer.commit;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;

/**
 * Which partitions' commits keep failing, and since when. A failed commit (steady-state,
 * synchronous, or a transaction's) adds its partitions, each keeping the time its failures
 * began; a confirmed commit removes its partitions. A partition that is no longer assigned
 * leaves too at the next {@link #retainAssigned}: its failure says nothing about the commits to
 * come, and its next owner commits it. Once no partition is left, the streak is over.
 * <p>
 * Failed commits are retried at the next deadline, so a failing partition either commits again
 * or keeps failing at every commit interval; how long that has lasted is what health weighs. A
 * commit the group refused because it is rebalancing does not count: it goes again once the
 * rebalance is over, and a rebalance may wait for a slow member for as long as the rebalance
 * timeout without anything being wrong with this one.
 * <p>
 * Threads: the poll thread alone (commit answers come inside {@code poll}, or in
 * {@code commitSync} on it).
 */
public final class CommitFailures implements CommitObserver {

    private final CommitPlanner planner;

    private final Clock clock;

    /** Clock millis of the first failure of each failing partition. */
    private final Map<TopicPartition, Long> failingSince = new HashMap<>();

    /** Failed commits since no partition was failing. */
    private int failures;

    private String lastFailure;

    public CommitFailures(CommitPlanner planner, Clock clock) {
        this.planner = planner;
        this.clock = clock;
    }

    @Override
    public void afterCommit(Map<TopicPartition, OffsetAndMetadata> offsets, Exception failure) {
        if (offsets.isEmpty()) {
            return;
        }
        if (failure == null) {
            offsets.keySet().forEach(this.failingSince::remove);
            endIfNoneFails();
            return;
        }
        if (failure instanceof RebalanceInProgressException) {
            return;
        }
        long now = this.clock.millis();
        offsets.keySet().forEach((partition) -> this.failingSince.putIfAbsent(partition, now));
        this.failures++;
        this.lastFailure = failure.toString();
    }

    /** Forgets the partitions that are no longer assigned. Poll thread. */
    public void retainAssigned() {
        this.failingSince.keySet().removeIf((partition) -> this.planner.tracker(partition) == null);
        endIfNoneFails();
    }

    /** Failed commits since no partition was failing; 0 when none is. */
    public int failures() {
        return this.failures;
    }

    /** Clock millis of the earliest failure of a partition still failing, or MIN_VALUE when none is. */
    public long failingSince() {
        long since = Long.MAX_VALUE;
        for (long at : this.failingSince.values()) {
            since = Math.min(since, at);
        }
        return this.failingSince.isEmpty() ? Long.MIN_VALUE : since;
    }

    /** The failing partitions, by topic and partition. */
    public List<TopicPartition> partitions() {
        List<TopicPartition> partitions = new ArrayList<>(this.failingSince.keySet());
        partitions.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        return partitions;
    }

    /** The last failure as its exception's {@code toString()}, or null when none is failing. */
    public String lastFailure() {
        return this.lastFailure;
    }

    private void endIfNoneFails() {
        if (this.failingSince.isEmpty()) {
            this.failures = 0;
            this.lastFailure = null;
        }
    }

}
