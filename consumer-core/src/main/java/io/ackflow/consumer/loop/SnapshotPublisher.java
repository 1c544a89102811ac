package io.ackflow.consumer.loop;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.state.HandlerRun;
import io.ackflow.consumer.flow.PauseController;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.LivelockDetector;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.state.SubscriptionSnapshot;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Publishes what the poll thread knows, as an immutable {@link EngineSnapshot}, every half
 * second, at once after a rebalance or a rewind, and when the loop begins to poll: per partition
 * its offsets, in-flight count, first unacked record with who holds it and on which thread, stuck
 * or not, pause reasons; per subscription its settings and totals; the loop's progress (its last
 * poll, failing commits, last heartbeat, see {@link ProgressProbe}). Health, the endpoint and
 * meters read it from any thread; none of them ever calls the consumer.
 * <p>
 * Threads: {@link #started}, {@link #publishIfDue} and {@link #publishSoon} on the poll thread;
 * {@link #snapshot} from any thread.
 */
final class SnapshotPublisher {

    private static final long EVERY_MILLIS = 500;

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final Conductor conductor;

    private final PauseController pauses;

    private final LivelockDetector livelock;

    private final EngineStats stats;

    private final ProgressProbe progress;

    private volatile EngineSnapshot snapshot = EngineSnapshot.EMPTY;

    /** When the snapshot is next published (clock millis). Poll thread. */
    private long nextAt = Long.MIN_VALUE;

    SnapshotPublisher(Consumer<byte[], byte[]> consumer, CommitPlanner planner, Conductor conductor,
            PauseController pauses, LivelockDetector livelock, EngineStats stats, ProgressProbe progress) {
        this.consumer = consumer;
        this.planner = planner;
        this.conductor = conductor;
        this.pauses = pauses;
        this.livelock = livelock;
        this.stats = stats;
        this.progress = progress;
    }

    /** The snapshot last published. Any thread. */
    EngineSnapshot snapshot() {
        return this.snapshot;
    }

    /**
     * The loop begins to poll at {@code now}: published at once, so that a poll thread held in
     * its first poll (in the first assignment's callbacks) shows from when it waits. Poll thread.
     */
    void started(long now) {
        this.progress.started(now);
        publishSoon();
        publishIfDue(now);
    }

    /** Publishes at the next turn rather than at the usual interval. Poll thread. */
    void publishSoon() {
        this.nextAt = Long.MIN_VALUE;
    }

    /** Publishes when the interval has passed since the last one (or one was asked for). Poll thread. */
    void publishIfDue(long now) {
        if (now < this.nextAt) {
            return;
        }
        List<PartitionSnapshot> partitions = new ArrayList<>();
        for (OffsetTracker tracker : this.planner.trackers()) {
            TopicPartition partition = tracker.partition();
            long committable = tracker.committable();
            TrackedRecord head = (tracker.head() instanceof TrackedRecord record) ? record : null;
            HandlerRun oldest = (head != null) ? LivelockDetector.oldest(this.conductor.runningHandlers(head)) : null;
            partitions.add(new PartitionSnapshot(partition, this.planner.confirmed(partition), committable,
                    position(partition), tracker.pendingCount(), (head != null) ? head.raw().offset() : -1,
                    (head != null) ? head.holders() : List.of(),
                    (oldest != null) ? Instant.ofEpochMilli(oldest.startedAt()) : null,
                    (oldest != null) ? oldest.thread() : null,
                    this.livelock.stuckRun(tracker, now, this.conductor::runningHandlers) != null,
                    this.pauses.reasons(partition)));
        }
        partitions.sort(Comparator.comparing(PartitionSnapshot::partition, Comparator
            .comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition)));
        List<SubscriptionSnapshot> subscriptions = new ArrayList<>();
        for (var runner : this.conductor.runners()) {
            var subscription = runner.subscription();
            SubscriptionStats totals = this.stats.subscription(subscription.id());
            subscriptions.add(new SubscriptionSnapshot(subscription.id(), subscription.topics(), subscription.ordering(),
                    subscription.concurrency(), runner.backlog(), totals.handled(), totals.failed(), totals.retried(),
                    totals.deadLettered(), totals.skipped(), subscription.isBatch() ? subscription.batching() : null));
        }
        String groupId = "";
        int generation = -1;
        String member = "";
        if (!partitions.isEmpty()) {
            ConsumerGroupMetadata group = this.consumer.groupMetadata();
            groupId = group.groupId();
            generation = group.generationId();
            member = group.memberId();
        }
        this.snapshot = new EngineSnapshot(Instant.ofEpochMilli(now), groupId, generation, member,
                List.copyOf(partitions), List.copyOf(subscriptions), this.progress.take(now));
        this.nextAt = now + EVERY_MILLIS;
    }

    /** The consumer's fetch position of {@code partition} if it knows it without a request, else -1. */
    private long position(TopicPartition partition) {
        try {
            return this.consumer.position(partition, Duration.ZERO);
        }
        catch (RuntimeException ex) {
            return -1;
        }
    }

}
