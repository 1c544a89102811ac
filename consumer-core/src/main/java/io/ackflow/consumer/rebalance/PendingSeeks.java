package io.ackflow.consumer.rebalance;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * Seeks the application asked for that wait to be applied: to a partition not assigned yet (on
 * its assignment), or, under exactly-once, to one read again after the open transaction is
 * aborted. A seek waits for one rebalance only: applied hours later it would replay or skip data.
 * <p>
 * Threads: the poll thread alone.
 */
public final class PendingSeeks {

    private final Map<TopicPartition, Long> offsets = new HashMap<>();

    /** Remembers that {@code partition} is to be read from {@code offset}; a later seek replaces it. */
    public void put(TopicPartition partition, long offset) {
        this.offsets.put(partition, offset);
    }

    /** Takes the offset waiting for {@code partition}, or null. */
    public Long take(TopicPartition partition) {
        return this.offsets.remove(partition);
    }

    /** Drops the seeks that the last assignment did not apply, and returns them. */
    public Map<TopicPartition, Long> dropUnapplied() {
        Map<TopicPartition, Long> dropped = Map.copyOf(this.offsets);
        this.offsets.clear();
        return dropped;
    }

}
