package io.ackflow.consumer.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.Deserializer;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;
import io.ackflow.consumer.state.HandlerRun;

/**
 * Hands each polled record to every subscription of its topic.
 * <p>
 * For each record the conductor (1) tracks it and sets its reference count to the number of
 * subscriptions of its topic, before any of them can see it; (2) gives it a {@link DecodedRecord}
 * that the first handler thread to need it deserializes, once per distinct key and value
 * deserializer ({@link Deserialization}), subscriptions with the same pair of deserializers
 * sharing one deserialized record; (3) queues it in each
 * subscription's runner. A record whose topic has no subscription is acked at once. A record
 * that a group cannot deserialize (a poison pill) goes to the error policy of every subscription
 * of that group, as a {@link RecordDeserializationException} with the raw bytes, in its place in
 * their lanes; the other groups still get the record.
 * <p>
 * Threads: the poll thread alone calls {@link #dispatch}. The routing tables are built in the
 * constructor and never change.
 */
public final class Conductor {

    private static final String[] NO_HOLDERS = new String[0];

    private final Map<String, Route> routes;

    private final List<SubscriptionRunner> runners;

    private final EngineStats stats;

    private final TrackedRecord.AckListener ackListener;

    public Conductor(List<SubscriptionRunner> runners, EngineStats stats, TrackedRecord.AckListener ackListener) {
        this.runners = List.copyOf(runners);
        this.stats = stats;
        this.ackListener = ackListener;
        Map<String, List<SubscriptionRunner>> byTopic = new LinkedHashMap<>();
        for (SubscriptionRunner runner : runners) {
            for (String topic : runner.subscription().topics()) {
                byTopic.computeIfAbsent(topic, (t) -> new ArrayList<>()).add(runner);
            }
        }
        Map<String, Route> routes = new HashMap<>();
        byTopic.forEach((topic, subscribers) -> {
            if (subscribers.size() > TrackedRecord.MAX_HOLDERS) {
                throw new IllegalArgumentException("Topic '" + topic + "' has " + subscribers.size()
                        + " subscriptions; at most " + TrackedRecord.MAX_HOLDERS + " are supported");
            }
            routes.put(topic, new Route(subscribers));
        });
        this.routes = routes;
    }

    /** Every topic some subscription listens to. */
    public Set<String> topics() {
        return new LinkedHashSet<>(this.routes.keySet());
    }

    public List<SubscriptionRunner> runners() {
        return this.runners;
    }

    /**
     * Tracks the records of one partition's batch in {@code tracker} and hands each to the
     * subscriptions of its topic, one lock acquisition per subscription for the whole batch;
     * records {@code skip} says were acked by the partition's previous owner are acked at once
     * instead. Poll thread only.
     * @return how many were skipped
     */
    public int dispatch(List<ConsumerRecord<byte[], byte[]>> batch, OffsetTracker tracker,
            java.util.function.LongPredicate skip) {
        if (batch.isEmpty()) {
            return 0;
        }
        Route route = this.routes.get(batch.get(0).topic());
        int skipped = 0;
        if (route == null) {
            for (ConsumerRecord<byte[], byte[]> raw : batch) {
                tracker.track(raw, NO_HOLDERS, this.ackListener);
            }
            return 0;
        }
        List<List<Delivery>> byRunner = new ArrayList<>(route.runners.length);
        for (int i = 0; i < route.runners.length; i++) {
            byRunner.add(new ArrayList<>(batch.size()));
        }
        for (int r = 0; r < batch.size(); r++) {
            ConsumerRecord<byte[], byte[]> raw = batch.get(r);
            if (skip.test(raw.offset())) {
                skip(raw, tracker);
                skipped++;
                continue;
            }
            route(raw, tracker, route, byRunner);
        }
        for (int i = 0; i < route.runners.length; i++) {
            if (!byRunner.get(i).isEmpty()) {
                route.runners[i].submitAll(byRunner.get(i));
            }
        }
        return skipped;
    }

    /**
     * Tracks the record in {@code tracker} and hands it to the subscriptions of its topic. Poll thread only.
     */
    public void dispatch(ConsumerRecord<byte[], byte[]> raw, OffsetTracker tracker) {
        dispatch(List.of(raw), tracker, (offset) -> false);
    }

    /**
     * Tracks one record and adds its deliveries, one per subscription, to {@code byRunner}. The
     * record is not deserialized here: the first handler thread that needs it does, once per
     * distinct deserializer, for all ({@link DecodedRecord}).
     */
    private void route(ConsumerRecord<byte[], byte[]> raw, OffsetTracker tracker, Route route,
            List<List<Delivery>> byRunner) {
        TrackedRecord tracked = tracker.track(raw, route.ids, this.ackListener);
        DecodedRecord decoded = route.raw ? null : new DecodedRecord(raw, route.deserialization);
        KeyLane keyLane = route.keyOrdered ? new KeyLane(tracker, raw.key()) : null;
        Delivery next = null;
        for (int index = route.groupOf.length - 1; index >= 0; index--) {
            Delivery delivery = new Delivery(tracked, index, decoded, route.groupOf[index], keyLane);
            delivery.nextOfRecord = next;
            next = delivery;
        }
        tracked.attach(next);
        for (Delivery delivery = next; delivery != null; delivery = delivery.nextOfRecord) {
            byRunner.get(delivery.holderIndex).add(delivery);
        }
    }

    /**
     * Tracks the record in {@code tracker} and acks it at once, handing it to no subscription:
     * its partition's previous owner already processed it. Poll thread only.
     */
    private void skip(ConsumerRecord<byte[], byte[]> raw, OffsetTracker tracker) {
        tracker.track(raw, NO_HOLDERS, this.ackListener);
    }

    /**
     * The handlers running on {@code record} now, one per subscription that has called its
     * handler and not finished; subscriptions that still hold it but have not started it are not
     * listed. Any thread.
     */
    public List<HandlerRun> runningHandlers(TrackedRecord record) {
        Route route = this.routes.get(record.raw().topic());
        if (route == null) {
            return List.of();
        }
        List<HandlerRun> runs = new ArrayList<>(1);
        for (int i = 0; i < route.runners.length; i++) {
            if (record.isHeldBy(i)) {
                HandlerRun run = route.runners[i].runningOn(record, i);
                if (run != null) {
                    runs.add(run);
                }
            }
        }
        return runs;
    }

    /** Starts the batches of batch subscriptions due at {@code now} (clock millis). Poll thread. */
    public void startDueBatches(long now) {
        for (int i = 0; i < this.runners.size(); i++) {
            this.runners.get(i).startDueBatches(now);
        }
    }

    /**
     * Millis from {@code now} until a batch of a batch subscription is next due, at least 0;
     * {@link Long#MAX_VALUE} when none waits. Poll thread.
     */
    public long untilBatchDue(long now) {
        long next = Long.MAX_VALUE;
        for (int i = 0; i < this.runners.size(); i++) {
            next = Math.min(next, this.runners.get(i).nextBatchDueAt(now));
        }
        return (next == Long.MAX_VALUE) ? Long.MAX_VALUE : Math.max(0, next - now);
    }

    /** Drops the queued deliveries of {@code partitions} in every subscription. Poll thread. */
    public int dropQueued(Set<TopicPartition> partitions) {
        int dropped = 0;
        for (SubscriptionRunner runner : this.runners) {
            dropped += runner.dropQueued(partitions);
        }
        return dropped;
    }

    /** Forgets the failed attempts remembered (exactly-once) for records below the committed offsets. Poll thread. */
    public void forgetCommitted(Map<TopicPartition, Long> committed) {
        for (SubscriptionRunner runner : this.runners) {
            runner.forgetCommitted(committed);
        }
    }

    /** Forgets the failed attempts remembered (exactly-once) for records of {@code partitions}. Poll thread. */
    public void forgetAttempts(Set<TopicPartition> partitions) {
        for (SubscriptionRunner runner : this.runners) {
            runner.forgetAttempts(partitions);
        }
    }

    /** Starts nothing more in any subscription. Any thread. */
    public void close() {
        this.runners.forEach(SubscriptionRunner::close);
    }

    /** The subscriptions of one topic, in holder-index order, and how its records are deserialized for them. */
    private static final class Route {

        final SubscriptionRunner[] runners;

        final String[] ids;

        final Deserialization deserialization;

        /** Per subscription (holder index): its group in {@link #deserialization}. */
        final int[] groupOf;

        /** Whether every subscription takes the polled record as it is: nothing to deserialize. */
        final boolean raw;

        /** Whether a subscription orders by key: the record's key lane is made once for all. */
        final boolean keyOrdered;

        Route(List<SubscriptionRunner> subscribers) {
            this.runners = subscribers.toArray(new SubscriptionRunner[0]);
            this.ids = subscribers.stream().map((runner) -> runner.subscription().id()).toArray(String[]::new);
            this.deserialization = new Deserialization(
                    subscribers.stream().<Deserializer<?>>map((runner) -> runner.subscription().keyDeserializer()).toList(),
                    subscribers.stream().<Deserializer<?>>map((runner) -> runner.subscription().valueDeserializer()).toList());
            this.groupOf = new int[this.runners.length];
            for (int group = 0; group < this.deserialization.groups(); group++) {
                for (int index : this.deserialization.members(group)) {
                    this.groupOf[index] = group;
                }
            }
            this.raw = this.deserialization.allRaw();
            this.keyOrdered = subscribers.stream()
                .anyMatch((runner) -> runner.subscription().ordering() == io.ackflow.consumer.Ordering.KEY);
        }

    }

}
