package io.ackflow.consumer.dispatch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;
import io.ackflow.consumer.state.HandlerRun;

/**
 * Hands each polled record to every subscription of its topic.
 * <p>
 * For each record the conductor (1) tracks it and sets its reference count to the number of
 * subscriptions of its topic, before any of them can see it; (2) deserializes it once per group
 * of subscriptions whose key and value deserializers are equal; (3) queues it in each
 * subscription's runner. A record whose topic has no subscription is acked at once. A record
 * that a group cannot deserialize (a poison pill) goes to the error policy of every subscription
 * of that group, as a {@link RecordDeserializationException} with the raw bytes, in its place in
 * their lanes; the other groups still get the record.
 * <p>
 * Threads: the poll thread alone calls {@link #dispatch}. The routing tables are built in the
 * constructor and never change.
 */
public final class Conductor {

    private static final Logger logger = LoggerFactory.getLogger(Conductor.class);

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

    /** Tracks one record and adds its deliveries, one per subscription, to {@code byRunner}. */
    private void route(ConsumerRecord<byte[], byte[]> raw, OffsetTracker tracker, Route route,
            List<List<Delivery>> byRunner) {
        TrackedRecord tracked = tracker.track(raw, route.ids, this.ackListener);
        for (Group group : route.groups) {
            ConsumerRecord<Object, Object> record;
            try {
                record = group.deserialize(raw);
            }
            catch (RuntimeException ex) {
                // A poison pill for this group: each of its subscriptions hands it to its error
                // policy (no retry: deserializing again gives the same answer). Other groups still get it.
                RecordDeserializationException failure = group.failure(raw, ex);
                logger.debug("Cannot deserialize {} for subscriptions {}: {}", tracked, group.ids(route), ex.toString());
                for (int index : group.members) {
                    byRunner.get(index).add(Delivery.undeserializable(tracked, index, failure));
                }
                continue;
            }
            for (int index : group.members) {
                byRunner.get(index).add(new Delivery(tracked, index, record));
            }
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
                HandlerRun run = route.runners[i].runningOn(record);
                if (run != null) {
                    runs.add(run);
                }
            }
        }
        return runs;
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

    /** The subscriptions of one topic, in holder-index order, and their deserialization groups. */
    private static final class Route {

        final SubscriptionRunner[] runners;

        final String[] ids;

        final Group[] groups;

        Route(List<SubscriptionRunner> subscribers) {
            this.runners = subscribers.toArray(new SubscriptionRunner[0]);
            this.ids = subscribers.stream().map((runner) -> runner.subscription().id()).toArray(String[]::new);
            Map<List<Object>, List<Integer>> byDeserializers = new LinkedHashMap<>();
            for (int i = 0; i < this.runners.length; i++) {
                var subscription = this.runners[i].subscription();
                byDeserializers.computeIfAbsent(List.of(subscription.keyDeserializer(), subscription.valueDeserializer()),
                        (k) -> new ArrayList<>()).add(i);
            }
            this.groups = byDeserializers.entrySet().stream()
                .map((entry) -> new Group(entry.getKey().get(0), entry.getKey().get(1), entry.getValue()))
                .toArray(Group[]::new);
        }

    }

    /** Subscriptions of a topic that share one deserialization per record. */
    private static final class Group {

        private final Deserializer<Object> keyDeserializer;

        private final Deserializer<Object> valueDeserializer;

        private final boolean raw;

        final int[] members;

        @SuppressWarnings("unchecked")
        Group(Object keyDeserializer, Object valueDeserializer, Collection<Integer> members) {
            this.keyDeserializer = (Deserializer<Object>) keyDeserializer;
            this.valueDeserializer = (Deserializer<Object>) valueDeserializer;
            this.raw = keyDeserializer == RawRecords.DESERIALIZER && valueDeserializer == RawRecords.DESERIALIZER;
            this.members = members.stream().mapToInt(Integer::intValue).toArray();
        }

        @SuppressWarnings("unchecked")
        ConsumerRecord<Object, Object> deserialize(ConsumerRecord<byte[], byte[]> raw) {
            if (this.raw) {
                return (ConsumerRecord<Object, Object>) (ConsumerRecord<?, ?>) raw;
            }
            Object key = this.keyDeserializer.deserialize(raw.topic(), raw.headers(), raw.key());
            Object value = this.valueDeserializer.deserialize(raw.topic(), raw.headers(), raw.value());
            return new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.timestamp(),
                    raw.timestampType(), raw.serializedKeySize(), raw.serializedValueSize(), key, value,
                    raw.headers(), raw.leaderEpoch());
        }

        /**
         * Kafka's own exception for a record that cannot be deserialized, naming the part at fault.
         * Its message names the coordinates and the cause's type, not the cause's message, which
         * may quote the bytes (Jackson's does) and would reach WARN logs; the cause is kept.
         */
        RecordDeserializationException failure(ConsumerRecord<byte[], byte[]> raw, RuntimeException cause) {
            RecordDeserializationException.DeserializationExceptionOrigin origin = RecordDeserializationException.DeserializationExceptionOrigin.VALUE;
            try {
                this.keyDeserializer.deserialize(raw.topic(), raw.headers(), raw.key());
            }
            catch (RuntimeException keyFailure) {
                origin = RecordDeserializationException.DeserializationExceptionOrigin.KEY;
            }
            return new RecordDeserializationException(origin, new TopicPartition(raw.topic(), raw.partition()),
                    raw.offset(), raw.timestamp(), raw.timestampType(),
                    (raw.key() != null) ? ByteBuffer.wrap(raw.key()) : null,
                    (raw.value() != null) ? ByteBuffer.wrap(raw.value()) : null, raw.headers(),
                    "Cannot deserialize the " + origin.name().toLowerCase(java.util.Locale.ROOT) + " of " + raw.topic()
                            + "-" + raw.partition() + "@" + raw.offset() + " (" + cause.getClass().getName() + ")",
                    cause);
        }

        List<String> ids(Route route) {
            List<String> ids = new ArrayList<>();
            for (int index : this.members) {
                ids.add(Objects.toString(route.runners[index].subscription().id()));
            }
            return ids;
        }

    }

}
