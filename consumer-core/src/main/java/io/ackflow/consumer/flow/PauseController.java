package io.ackflow.consumer.flow;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * The one place that pauses and resumes partitions in the consumer, for every
 * {@link PauseReason}: it keeps the reasons of {@link FlowControl} and the consumer's own pauses
 * in step, so a partition is fetched again only when its last reason is gone, and resuming for
 * one reason never undoes another. It also remembers what the application paused (partitions
 * and whole topics), which outlives a rebalance and is applied again on assignment.
 * <p>
 * Threads: the poll thread alone uses this class, as it alone may call the consumer.
 */
public final class PauseController {

    private static final Logger logger = LoggerFactory.getLogger(PauseController.class);

    private final Consumer<?, ?> consumer;

    private final FlowControl flow;

    /** Partitions and topics the application paused; kept across rebalances. */
    private final Set<TopicPartition> userPaused = new HashSet<>();

    private final Set<String> userPausedTopics = new HashSet<>();

    public PauseController(Consumer<?, ?> consumer, FlowControl flow) {
        this.consumer = consumer;
        this.flow = flow;
    }

    /** Adds {@code reason} to {@code partition}, pausing it in the consumer if it was fetched. */
    public void pause(TopicPartition partition, PauseReason reason) {
        if (this.flow.pause(partition, reason)) {
            this.consumer.pause(List.of(partition));
        }
    }

    /**
     * Removes {@code reason} from {@code partition}, resuming it in the consumer when no reason is
     * left and it is still assigned.
     */
    public void resume(TopicPartition partition, PauseReason reason) {
        if (this.flow.resume(partition, reason) && this.consumer.assignment().contains(partition)) {
            this.consumer.resume(List.of(partition));
        }
    }

    /** Adds {@code reason} to every assigned partition, in one call to the consumer. */
    public void pauseAll(PauseReason reason) {
        List<TopicPartition> paused = new ArrayList<>();
        for (TopicPartition partition : this.consumer.assignment()) {
            if (this.flow.pause(partition, reason)) {
                paused.add(partition);
            }
        }
        if (!paused.isEmpty()) {
            this.consumer.pause(paused);
        }
    }

    /** Removes {@code reason} from every assigned partition, in one call to the consumer. */
    public void resumeAll(PauseReason reason) {
        List<TopicPartition> resumed = new ArrayList<>();
        for (TopicPartition partition : this.consumer.assignment()) {
            if (this.flow.resume(partition, reason)) {
                resumed.add(partition);
            }
        }
        if (!resumed.isEmpty()) {
            this.consumer.resume(resumed);
        }
    }

    /**
     * Applies the in-flight bounds to the windows of the assigned partitions' trackers (their
     * committable offsets brought up to date first).
     * @return the acks after which a partition paused by flow control may resume; 0 when none is
     */
    public long applyFlowControl(Collection<OffsetTracker> trackers) {
        Map<TopicPartition, Long> windows = new HashMap<>();
        for (OffsetTracker tracker : trackers) {
            tracker.committable();
            windows.put(tracker.partition(), tracker.pendingCount());
        }
        return applyFlowControl(windows);
    }

    /**
     * Applies the in-flight bounds to the current windows (see {@link FlowControl}).
     * @param windows in-flight records by assigned partition
     * @return the acks after which a partition paused by flow control may resume; 0 when none is
     */
    public long applyFlowControl(Map<TopicPartition, Long> windows) {
        List<TopicPartition> toPause = new ArrayList<>();
        List<TopicPartition> toResume = new ArrayList<>();
        this.flow.update(windows, toPause, toResume);
        if (!toPause.isEmpty()) {
            this.consumer.pause(toPause);
            logger.debug("Paused {}: too many records in flight", toPause);
        }
        if (!toResume.isEmpty()) {
            this.consumer.resume(toResume);
            logger.debug("Resumed {}: in-flight records down to the low mark", toResume);
        }
        return this.flow.acksToResume(windows);
    }

    /** Pauses {@code partitions} for the application until {@link #userResume}; kept across rebalances. */
    public void userPause(Collection<TopicPartition> partitions) {
        this.userPaused.addAll(partitions);
        Set<TopicPartition> assigned = this.consumer.assignment();
        partitions.stream().filter(assigned::contains).forEach((p) -> pause(p, PauseReason.USER));
    }

    /** Resumes partitions paused by {@link #userPause}. */
    public void userResume(Collection<TopicPartition> partitions) {
        this.userPaused.removeAll(partitions);
        partitions.forEach((p) -> resume(p, PauseReason.USER));
    }

    /** Pauses every partition of {@code topic} for the application, those assigned later included. */
    public void userPauseTopic(String topic) {
        this.userPausedTopics.add(topic);
        this.consumer.assignment().stream().filter((p) -> p.topic().equals(topic))
            .forEach((p) -> pause(p, PauseReason.USER));
    }

    /** Resumes a topic paused by {@link #userPauseTopic}; partitions paused one by one stay paused. */
    public void userResumeTopic(String topic) {
        this.userPausedTopics.remove(topic);
        this.consumer.assignment().stream().filter((p) -> p.topic().equals(topic) && !this.userPaused.contains(p))
            .forEach((p) -> resume(p, PauseReason.USER));
    }

    /** Pauses a newly assigned partition again if the application paused it or its topic. */
    public void assigned(TopicPartition partition) {
        if (this.userPaused.contains(partition) || this.userPausedTopics.contains(partition.topic())) {
            pause(partition, PauseReason.USER);
        }
    }

    /** Whether {@code partition} is paused for {@code reason}. */
    public boolean has(TopicPartition partition, PauseReason reason) {
        return this.flow.has(partition, reason);
    }

    /** Why {@code partition} is paused; empty when it is fetched. */
    public Set<PauseReason> reasons(TopicPartition partition) {
        return this.flow.reasons(partition);
    }

    /** Whether some partition is paused by flow control (it must be re-checked soon). */
    public boolean anyFlowPaused() {
        return this.flow.anyFlowPaused();
    }

    /** Forgets partitions that are no longer assigned (the consumer forgets their pauses too). */
    public void remove(Collection<TopicPartition> partitions) {
        this.flow.remove(partitions);
    }

}
