package io.ackflow.consumer.dispatch;

import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * The lanes of one subscription, by key: which lane a record queues in under the subscription's
 * {@link Ordering}, and when a lane is dropped. Partition and key lanes are made on first use; a
 * key lane is dropped when nothing is queued or running in it, so the number of key lanes stays
 * bounded by the records in flight; a partition lane when it is idle and its assignment has ended
 * (or its partitions' queues are dropped); the one unordered lane is never dropped.
 * <p>
 * Threads: confined to the monitor of its {@link LaneScheduler}.
 */
final class LaneTable {

    private final Ordering ordering;

    private final Map<Object, Lane> keyed = new HashMap<>();

    /** The one lane under {@link Ordering#UNORDERED}; null under the other orderings. */
    private final Lane unordered;

    LaneTable(Ordering ordering, int concurrency) {
        this.ordering = ordering;
        this.unordered = (ordering == Ordering.UNORDERED) ? Lane.unordered(concurrency) : null;
    }

    /**
     * The partition lane the last call of {@link #laneFor} returned: the records of one call of
     * {@link LaneScheduler#enqueue} are of one partition, so one map lookup serves them all.
     */
    private Lane lastPartitionLane;

    /** The lane {@code delivery} queues in. */
    Lane laneFor(Delivery delivery) {
        if (this.unordered != null) {
            return this.unordered;
        }
        Lane last = this.lastPartitionLane;
        if (last != null && last.key == delivery.tracked.tracker()) {
            return last;
        }
        // Lanes belong to one assignment of a partition (its tracker): a handler that outlives a
        // revoke never holds up the records of the partition's next assignment.
        OffsetTracker tracker = delivery.tracked.tracker();
        Object key = switch (this.ordering) {
            case PARTITION -> tracker;
            case KEY -> (delivery.keyLane != null) ? delivery.keyLane : new KeyLane(tracker, delivery.tracked.raw().key());
            case UNORDERED -> throw new IllegalStateException("unreachable");
        };
        Lane lane = this.keyed.get(key);
        if (lane == null) {
            lane = Lane.ofKey(key);
            this.keyed.put(key, lane);
        }
        if (this.ordering == Ordering.PARTITION) {
            this.lastPartitionLane = lane;
        }
        return lane;
    }

    /**
     * Drops {@code lane} if nothing is queued or running in it: a key lane at once, so their number
     * stays bounded by the records in flight; a partition lane only once its assignment has ended
     * (the few partition lanes stay between bursts rather than be made again for each). The
     * unordered lane stays.
     */
    void dropIfIdle(Lane lane) {
        if (lane.ordered && lane.isIdle()
                && (this.ordering == Ordering.KEY || ((OffsetTracker) lane.key).isRetired())) {
            forget(lane);
        }
    }

    private void forget(Lane lane) {
        this.keyed.remove(lane.key);
        if (lane == this.lastPartitionLane) {
            this.lastPartitionLane = null;
        }
    }

    /**
     * Removes the queued deliveries of {@code partitions} from every lane and drops the lanes
     * left idle.
     * @return how many were removed
     */
    int dropQueued(Set<TopicPartition> partitions) {
        int dropped = 0;
        Iterator<Lane> lanes = this.keyed.values().iterator();
        while (lanes.hasNext()) {
            Lane lane = lanes.next();
            dropped += lane.removeQueued(partitions);
            if (lane.isIdle()) {
                lanes.remove();
            }
        }
        this.lastPartitionLane = null;
        if (this.unordered != null) {
            dropped += this.unordered.removeQueued(partitions);
        }
        return dropped;
    }

    /** Deliveries queued in the lanes. */
    int queued() {
        int queued = (this.unordered != null) ? this.unordered.queued() : 0;
        for (Lane lane : this.keyed.values()) {
            queued += lane.queued();
        }
        return queued;
    }

    /** Forgets the partition and key lanes, with what is queued in them. */
    void clear() {
        this.keyed.clear();
        this.lastPartitionLane = null;
    }

    /** Whether {@code delivery}'s record is of one of {@code partitions}. */
    static boolean belongs(Delivery delivery, Set<TopicPartition> partitions) {
        ConsumerRecord<byte[], byte[]> raw = delivery.tracked.raw();
        return partitions.contains(new TopicPartition(raw.topic(), raw.partition()));
    }

    /**
     * Removes the deliveries of records of {@code partitions} from {@code deliveries}, telling
     * {@code removed} of each (unless it is null).
     * @return how many were removed
     */
    static int remove(Collection<Delivery> deliveries, Set<TopicPartition> partitions, Consumer<Delivery> removed) {
        int count = 0;
        Iterator<Delivery> iterator = deliveries.iterator();
        while (iterator.hasNext()) {
            Delivery delivery = iterator.next();
            if (belongs(delivery, partitions)) {
                iterator.remove();
                if (removed != null) {
                    removed.accept(delivery);
                }
                count++;
            }
        }
        return count;
    }

}
