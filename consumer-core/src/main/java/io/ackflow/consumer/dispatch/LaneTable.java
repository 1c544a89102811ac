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
 * {@link Ordering}, and when a lane is dropped. Partition and key lanes are made on first use and
 * dropped when nothing is queued or running in them, so the number of key lanes stays bounded by
 * the records in flight; the one unordered lane is never dropped.
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

    /** The lane {@code delivery} queues in. */
    Lane laneFor(Delivery delivery) {
        if (this.unordered != null) {
            return this.unordered;
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
        return lane;
    }

    /** Drops {@code lane} if nothing is queued or running in it; the unordered lane stays. */
    void dropIfIdle(Lane lane) {
        if (lane.ordered && lane.active == 0 && lane.queue.isEmpty()) {
            this.keyed.remove(lane.key);
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
            dropped += remove(lane.queue, partitions, null);
            if (lane.queue.isEmpty() && lane.active == 0) {
                lanes.remove();
            }
        }
        if (this.unordered != null) {
            dropped += remove(this.unordered.queue, partitions, null);
        }
        return dropped;
    }

    /** Deliveries queued in the lanes. */
    int queued() {
        int queued = (this.unordered != null) ? this.unordered.queue.size() : 0;
        for (Lane lane : this.keyed.values()) {
            queued += lane.queue.size();
        }
        return queued;
    }

    /** Forgets the partition and key lanes, with what is queued in them. */
    void clear() {
        this.keyed.clear();
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
            ConsumerRecord<byte[], byte[]> raw = delivery.tracked.raw();
            if (partitions.contains(new TopicPartition(raw.topic(), raw.partition()))) {
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
