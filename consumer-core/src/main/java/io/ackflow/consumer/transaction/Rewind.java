package io.ackflow.consumer.transaction;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.PartitionOwner;
import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * Exactly-once, after an abort: reads partitions again from the offsets the broker has committed
 * for them (a {@code read_committed} consumer waits for a transaction whose outcome is pending),
 * from a seek the application asked for, or from where this assignment started reading when
 * nothing is committed. Their queued work is dropped and their trackers start afresh; a
 * partition whose record failed waits out its back-off ({@link RetryHold}). When the committed
 * offsets cannot be read, the consumer stops rather than guess: after a commit whose outcome is
 * unknown, a guess could read again what a committed transaction already wrote.
 * <p>
 * Threads: the poll thread alone.
 */
final class Rewind {

    private static final Logger logger = LoggerFactory.getLogger(TransactionalCommits.class);

    /** Longest wait for the committed offsets to read again from. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final PartitionOwner owner;

    private final RetryHold retries;

    private final Clock clock;

    Rewind(Consumer<byte[], byte[]> consumer, CommitPlanner planner, PartitionOwner owner, RetryHold retries,
            Clock clock) {
        this.consumer = consumer;
        this.planner = planner;
        this.owner = owner;
        this.retries = retries;
        this.clock = clock;
    }

    /** Reads {@code partitions} again as the class comment says. */
    void rewind(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = committed(partitions);
        long now = this.clock.millis();
        Map<TopicPartition, Long> targets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetTracker old = this.planner.tracker(partition);
            OffsetAndMetadata offset = (committed != null) ? committed.get(partition) : null;
            Long sought = this.owner.takeSeek(partition);
            long target;
            if (sought != null) {
                target = sought;
            }
            else if (offset != null) {
                target = offset.offset();
            }
            else {
                target = (old != null) ? old.firstTrackedOffset() : -1;
            }
            this.owner.retire(Set.of(partition));
            OffsetTracker tracker = this.planner.restart(partition);
            if (target >= 0) {
                this.consumer.seek(partition, target);
                tracker.startAt(target);
                targets.put(partition, target);
            }
            this.retries.rewound(partition, now);
        }
        this.owner.publishSoon();
        logger.debug("Partitions read again after an abort from {}", targets);
    }

    private Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        try {
            try {
                return this.consumer.committed(partitions, TIMEOUT);
            }
            catch (WakeupException stray) {
                // A wakeup meant for a poll that had just returned; the request itself was not tried.
                return this.consumer.committed(partitions, TIMEOUT);
            }
        }
        catch (RuntimeException ex) {
            throw new IllegalStateException("Committed offsets of " + partitions + " are not known after an abort;"
                    + " stopping rather than guessing where to read again", ex);
        }
    }

}
