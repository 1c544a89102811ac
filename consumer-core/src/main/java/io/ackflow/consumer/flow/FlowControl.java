package io.ackflow.consumer.flow;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions are paused and why, and the in-flight bounds that pause and resume them.
 * <p>
 * <b>In flight</b> for a partition means its window: the records fetched from its first
 * unacked record on (acked records above that gap included, since their offsets still wait for
 * the commit). A partition whose window reaches {@code maxPerPartition} is paused and resumes
 * once the window is down to the low mark ({@code lowMark} times the bound); when the sum over
 * all partitions reaches {@code maxTotal}, every partition is paused until the sum is down to
 * its low mark. Pausing never drops a fetched record: the consumer only stops fetching more.
 * <p>
 * Threads: the poll thread alone uses this class; the consumer is paused and resumed by the
 * caller with the lists this class returns.
 */
public final class FlowControl {

    private final Map<TopicPartition, EnumSet<PauseReason>> paused = new HashMap<>();

    private final long maxTotal;

    private final long lowTotal;

    private final long maxPerPartition;

    private final long lowPerPartition;

    private boolean totalOver;

    public FlowControl(int maxTotal, int maxPerPartition, double lowMark) {
        this.maxTotal = maxTotal;
        this.lowTotal = (long) Math.floor(maxTotal * lowMark);
        this.maxPerPartition = maxPerPartition;
        this.lowPerPartition = (long) Math.floor(maxPerPartition * lowMark);
    }

    /**
     * Applies the bounds to the current windows.
     * @param windows in-flight records by assigned partition
     * @param toPause filled with the partitions the consumer must pause now
     * @param toResume filled with the partitions the consumer must resume now
     */
    public void update(Map<TopicPartition, Long> windows, List<TopicPartition> toPause, List<TopicPartition> toResume) {
        long total = 0;
        for (long window : windows.values()) {
            total += window;
        }
        this.totalOver = this.totalOver ? total > this.lowTotal : total >= this.maxTotal;
        windows.forEach((partition, window) -> {
            boolean flowPaused = has(partition, PauseReason.FLOW_CONTROL);
            boolean over = this.totalOver
                    || (flowPaused ? window > this.lowPerPartition : window >= this.maxPerPartition);
            if (over && !flowPaused && pause(partition, PauseReason.FLOW_CONTROL)) {
                toPause.add(partition);
            }
            else if (!over && flowPaused && resume(partition, PauseReason.FLOW_CONTROL)) {
                toResume.add(partition);
            }
        });
    }

    /**
     * Adds a reason; returns true when the partition was not paused before (the consumer must pause it).
     */
    public boolean pause(TopicPartition partition, PauseReason reason) {
        EnumSet<PauseReason> reasons = this.paused.computeIfAbsent(partition, (p) -> EnumSet.noneOf(PauseReason.class));
        boolean wasFetching = reasons.isEmpty();
        reasons.add(reason);
        return wasFetching;
    }

    /**
     * Removes a reason; returns true when no reason is left (the consumer must resume the partition).
     */
    public boolean resume(TopicPartition partition, PauseReason reason) {
        EnumSet<PauseReason> reasons = this.paused.get(partition);
        if (reasons == null || !reasons.remove(reason)) {
            return false;
        }
        if (reasons.isEmpty()) {
            this.paused.remove(partition);
            return true;
        }
        return false;
    }

    public boolean has(TopicPartition partition, PauseReason reason) {
        EnumSet<PauseReason> reasons = this.paused.get(partition);
        return reasons != null && reasons.contains(reason);
    }

    /** Why {@code partition} is paused; empty when it is fetched. */
    public Set<PauseReason> reasons(TopicPartition partition) {
        EnumSet<PauseReason> reasons = this.paused.get(partition);
        return (reasons != null) ? EnumSet.copyOf(reasons) : EnumSet.noneOf(PauseReason.class);
    }

    /**
     * Acks after which some partition paused by flow control may resume: the fewest records any
     * such partition (or, when the total bound holds every partition, the total) must lose to
     * reach its low mark; 0 when none is paused by flow control. Acks of other partitions count
     * too, so this may wake the poll thread early, never late.
     */
    public long acksToResume(Map<TopicPartition, Long> windows) {
        if (this.totalOver) {
            long total = 0;
            for (long window : windows.values()) {
                total += window;
            }
            return Math.max(1, total - this.lowTotal);
        }
        long fewest = Long.MAX_VALUE;
        for (Map.Entry<TopicPartition, Long> entry : windows.entrySet()) {
            if (has(entry.getKey(), PauseReason.FLOW_CONTROL)) {
                fewest = Math.min(fewest, Math.max(1, entry.getValue() - this.lowPerPartition));
            }
        }
        return (fewest == Long.MAX_VALUE) ? 0 : fewest;
    }

    /** Whether some partition is paused by flow control (it must be re-checked soon). */
    public boolean anyFlowPaused() {
        for (EnumSet<PauseReason> reasons : this.paused.values()) {
            if (reasons.contains(PauseReason.FLOW_CONTROL)) {
                return true;
            }
        }
        return false;
    }

    /** Forgets partitions that are no longer assigned (the consumer forgets their pause too). */
    public void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(this.paused::remove);
    }

    /** Paused partitions, for diagnostics. */
    public List<TopicPartition> pausedPartitions() {
        return new ArrayList<>(this.paused.keySet());
    }

}
