package io.ackflow.benchmarks.tracker;

import java.util.Iterator;
import java.util.LinkedList;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * Ackflow's ring bitset and the baselines, each behind {@link Tracker}. The baselines keep what
 * their libraries keep: a sorted set of pending offsets; a sorted map of offset to completion
 * flag, trimmed from the head (Parallel Consumer's style); a sorted list of acked offsets scanned
 * from the head under a lock (spring-kafka's out-of-order acks style).
 */
final class Trackers {

    private Trackers() {
    }

    static Tracker create(String kind) {
        return switch (kind) {
            case "ring" -> new Ring();
            case "skipListSet" -> new SkipListSet();
            case "skipListMap" -> new SkipListMap();
            case "linkedList" -> new SortedLinkedList();
            default -> throw new IllegalArgumentException("Unknown tracker " + kind);
        };
    }

    static final class Ring implements Tracker {

        private final OffsetTracker tracker = new OffsetTracker(new TopicPartition("bench", 0));

        @Override
        public long track(long offset) {
            return this.tracker.track(offset);
        }

        @Override
        public void ack(long handle) {
            this.tracker.ack(handle);
        }

        @Override
        public long committable() {
            return this.tracker.committable();
        }

    }

    static final class SkipListSet implements Tracker {

        private final ConcurrentSkipListSet<Long> pending = new ConcurrentSkipListSet<>();

        private volatile long last = -1;

        @Override
        public long track(long offset) {
            this.pending.add(offset);
            this.last = offset;
            return offset;
        }

        @Override
        public void ack(long handle) {
            this.pending.remove(handle);
        }

        @Override
        public long committable() {
            Long first = this.pending.isEmpty() ? null : this.pending.first();
            return (first != null) ? first : this.last + 1;
        }

    }

    static final class SkipListMap implements Tracker {

        private final ConcurrentSkipListMap<Long, Boolean> offsets = new ConcurrentSkipListMap<>();

        private volatile long last = -1;

        @Override
        public long track(long offset) {
            this.offsets.put(offset, Boolean.FALSE);
            this.last = offset;
            return offset;
        }

        @Override
        public void ack(long handle) {
            this.offsets.put(handle, Boolean.TRUE);
        }

        @Override
        public long committable() {
            Map.Entry<Long, Boolean> head;
            while ((head = this.offsets.firstEntry()) != null && head.getValue()) {
                this.offsets.remove(head.getKey());
            }
            return (head != null) ? head.getKey() : this.last + 1;
        }

    }

    static final class SortedLinkedList implements Tracker {

        private final LinkedList<Long> pending = new LinkedList<>();

        private long last = -1;

        @Override
        public synchronized long track(long offset) {
            this.pending.addLast(offset);
            this.last = offset;
            return offset;
        }

        @Override
        public synchronized void ack(long handle) {
            Iterator<Long> offsets = this.pending.iterator();
            while (offsets.hasNext()) {
                if (offsets.next() == handle) {
                    offsets.remove();
                    return;
                }
            }
        }

        @Override
        public synchronized long committable() {
            return this.pending.isEmpty() ? this.last + 1 : this.pending.getFirst();
        }

    }

}
