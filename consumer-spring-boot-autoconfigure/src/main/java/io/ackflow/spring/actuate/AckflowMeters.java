package io.ackflow.spring.actuate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.RebalanceListener;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.flow.PauseReason;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.state.SubscriptionSnapshot;

/**
 * The {@code ackflow.*} meters of one Ackflow consumer. Counters are read from the engine's
 * {@link EngineStats} and {@link SubscriptionStats}, levels from the snapshot the poll thread
 * publishes (at most half a second old), timings as the engine reports them. Partition meters are
 * registered when a partition is assigned and removed when it is revoked or lost, so a long-running
 * application does not collect meters of partitions it no longer owns.
 * <p>
 * Batch subscriptions also get {@link BatchMeters}: batch sizes and batch durations.
 * <p>
 * Tags: {@code consumer}; {@code subscription} on subscription meters; {@code topic} and
 * {@code partition} on partition meters.
 * <p>
 * Threads: created on the context's thread; the callbacks come from the poll thread (rebalances,
 * commits) and handler threads (handler timings); meters are read by the registry's threads. The
 * only mutable state is the map of partition meters, a concurrent map. A share consumer has, besides,
 * the meters of {@link ShareMeters}.
 */
final class AckflowMeters implements EngineMetrics, RebalanceListener {

    private final MeterRegistry registry;

    private final Supplier<@Nullable AckflowEngine> engine;

    private final Tags tags;

    private final Map<String, Timer[]> handlerTimers = new ConcurrentHashMap<>();

    private final BatchMeters batches;

    private final Timer commitSuccess;

    private final Timer commitFailure;

    private final Counter assigned;

    private final Counter revoked;

    private final Counter lost;

    /** Meters of each assigned partition, removed with it. */
    private final Map<TopicPartition, List<Meter>> partitionMeters = new ConcurrentHashMap<>();

    /** A share consumer's own meters; null for a consumer group. */
    private final @Nullable ShareMeters share;

    AckflowMeters(MeterRegistry registry, String consumer, List<Subscription<?, ?>> subscriptions,
            Supplier<@Nullable AckflowEngine> engine, boolean share) {
        this.registry = registry;
        this.engine = engine;
        this.tags = Tags.of("consumer", consumer);
        this.share = share ? new ShareMeters(registry, this.tags, engine) : null;
        engineCounter("ackflow.records.received", "Records fetched by poll", EngineStats::received);
        engineCounter("ackflow.records.acked", "Records released by every subscription of their topic", EngineStats::acked);
        engineCounter("ackflow.records.late", "Acks of records whose partition was revoked, lost or sought meanwhile (ignored)",
                EngineStats::lateAcks);
        engineCounter("ackflow.commits", "Offset commits the broker confirmed", EngineStats::commits);
        engineCounter("ackflow.commit.failures", "Offset commits that failed (retried at the next commit)",
                EngineStats::commitFailures);
        engineCounter("ackflow.stuck.reports", "Stuck-partition warnings logged", EngineStats::stuckPartitionReports);
        engineCounter("ackflow.records.already.acked",
                "Records skipped because the partition's previous owner acked them (its commit's offset map)",
                EngineStats::alreadyAcked);
        engineCounter("ackflow.offset.maps.too.large",
                "Commits held back by a gap whose offset map did not fit in the metadata limit", EngineStats::offsetMapsTooLarge);
        engineCounter("ackflow.transactions.committed", "Exactly-once: transactions committed with their offsets",
                EngineStats::transactionsCommitted);
        engineCounter("ackflow.transactions.aborted",
                "Exactly-once: transactions aborted (a handler failed, a commit failed, a partition was lost, a stop)",
                EngineStats::transactionsAborted);
        Gauge.builder("ackflow.partitions.stuck", this, (m) -> m.snapshot().stuckPartitions().size())
            .tags(this.tags).description("Partitions whose first unacked record has been held past the soft timeout")
            .register(registry);
        for (PauseReason reason : PauseReason.values()) {
            Gauge.builder("ackflow.partitions.paused", this,
                    (m) -> m.snapshot().partitions().stream().filter((p) -> p.pauseReasons().contains(reason)).count())
                .tags(this.tags.and("reason", reasonTag(reason)))
                .description("Assigned partitions paused for this reason").register(registry);
        }
        Gauge.builder("ackflow.records.in.flight", this,
                (m) -> m.snapshot().partitions().stream().mapToLong(PartitionSnapshot::inFlight).sum())
            .tags(this.tags).description("Records fetched and not yet committable, all partitions").register(registry);
        this.commitSuccess = commitTimer("success");
        this.commitFailure = commitTimer("failure");
        this.assigned = rebalanceCounter("assigned");
        this.revoked = rebalanceCounter("revoked");
        this.lost = rebalanceCounter("lost");
        for (Subscription<?, ?> subscription : subscriptions) {
            bindSubscription(subscription.id());
        }
        this.batches = new BatchMeters(registry, this.tags, subscriptions);
    }

    private void bindSubscription(String id) {
        Tags tags = this.tags.and("subscription", id);
        subscriptionCounter("ackflow.records.handled", "Handler calls that completed normally", id, tags,
                SubscriptionStats::handled);
        subscriptionCounter("ackflow.records.failed", "Records the subscription failed on for good", id, tags,
                SubscriptionStats::failed);
        subscriptionCounter("ackflow.records.retried", "Retries scheduled", id, tags, SubscriptionStats::retried);
        subscriptionCounter("ackflow.records.dead.lettered", "Records published to the dead-letter topic", id, tags,
                SubscriptionStats::deadLettered);
        subscriptionCounter("ackflow.records.skipped", "Records the handler declined with SkipRecordException", id, tags,
                SubscriptionStats::skipped);
        Gauge.builder("ackflow.subscription.in.flight", this, (m) -> {
            SubscriptionSnapshot snapshot = m.subscription(id);
            return (snapshot != null) ? snapshot.inFlight() : 0;
        }).tags(tags).description("Records the subscription holds: queued, running or waiting for a retry").register(this.registry);
        this.handlerTimers.put(id, new Timer[] { handlerTimer(tags, "success"), handlerTimer(tags, "failure") });
    }

    @Override
    public void handlerFinished(String subscriptionId, long durationNanos, boolean succeeded) {
        Timer[] timers = this.handlerTimers.get(subscriptionId);
        if (timers != null) {
            timers[succeeded ? 0 : 1].record(durationNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void batchFinished(String subscriptionId, int size, long durationNanos, boolean succeeded) {
        this.batches.record(subscriptionId, size, durationNanos, succeeded);
    }

    @Override
    public void commitFinished(long durationNanos, boolean succeeded) {
        (succeeded ? this.commitSuccess : this.commitFailure).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void shareRecordAcquired(int deliveryCount) {
        if (this.share != null) {
            this.share.acquired(deliveryCount);
        }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions, int generationId) {
        this.assigned.increment();
        for (TopicPartition partition : partitions) {
            this.partitionMeters.computeIfAbsent(partition, this::bindPartition);
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        this.revoked.increment();
        remove(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        this.lost.increment();
        remove(partitions);
    }

    /** Partitions whose meters are registered now. */
    Collection<TopicPartition> partitionsWithMeters() {
        return List.copyOf(this.partitionMeters.keySet());
    }

    private void remove(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            List<Meter> meters = this.partitionMeters.remove(partition);
            if (meters != null) {
                meters.forEach(this.registry::remove);
            }
        }
    }

    private List<Meter> bindPartition(TopicPartition partition) {
        Tags tags = this.tags.and("topic", partition.topic(), "partition", Integer.toString(partition.partition()));
        List<Meter> meters = new ArrayList<>();
        meters.add(partitionGauge("ackflow.partition.in.flight", "Records fetched from the first unacked one on", tags,
                partition, PartitionSnapshot::inFlight));
        meters.add(partitionGauge("ackflow.partition.committed.offset", "Last offset committed (next to read)", tags,
                partition, PartitionSnapshot::committed));
        meters.add(partitionGauge("ackflow.partition.committable.offset", "Offset a commit would carry now", tags,
                partition, PartitionSnapshot::committable));
        meters.add(partitionGauge("ackflow.partition.commit.lag", "Records acked but not committed yet", tags,
                partition, PartitionSnapshot::commitLag));
        meters.add(TimeGauge.builder("ackflow.partition.oldest.pending.age", this, TimeUnit.MILLISECONDS, (m) -> {
            EngineSnapshot snapshot = m.snapshot();
            PartitionSnapshot state = snapshot.partition(partition);
            return (state != null) ? state.oldestPendingAge(Instant.now()).toMillis() : 0;
        }).tags(tags).description("How long a handler has been running on the first unacked record").register(this.registry));
        for (PauseReason reason : PauseReason.values()) {
            meters.add(partitionGauge("ackflow.partition.paused", "1 while the partition is paused for this reason",
                    tags.and("reason", reasonTag(reason)), partition, (p) -> p.pauseReasons().contains(reason) ? 1 : 0));
        }
        return meters;
    }

    private Meter partitionGauge(String name, String description, Tags tags, TopicPartition partition,
            ToLongFunction<PartitionSnapshot> value) {
        return Gauge.builder(name, this, (m) -> {
            PartitionSnapshot state = m.snapshot().partition(partition);
            return (state != null) ? value.applyAsLong(state) : Double.NaN;
        }).tags(tags).description(description).register(this.registry);
    }

    private void engineCounter(String name, String description, ToLongFunction<EngineStats> count) {
        FunctionCounter.builder(name, this, (m) -> m.read((e) -> (double) count.applyAsLong(e.stats())))
            .tags(this.tags).description(description).register(this.registry);
    }

    private void subscriptionCounter(String name, String description, String id, Tags tags,
            ToLongFunction<SubscriptionStats> count) {
        FunctionCounter.builder(name, this, (m) -> m.read((e) -> (double) count.applyAsLong(e.stats().subscription(id))))
            .tags(tags).description(description).register(this.registry);
    }

    /** A counter of the current engine, or 0 before the first one exists. */
    private double read(Function<AckflowEngine, Double> counter) {
        AckflowEngine current = this.engine.get();
        return (current != null) ? counter.apply(current) : 0;
    }

    private Timer handlerTimer(Tags tags, String outcome) {
        return Timer.builder("ackflow.handler.duration").tags(tags.and("outcome", outcome))
            .description("Time from a handler call to its end (its return, or its future's completion)")
            .register(this.registry);
    }

    private Timer commitTimer(String outcome) {
        return Timer.builder("ackflow.commit.latency").tags(this.tags.and("outcome", outcome))
            .description("Time from an offset commit request to the broker's answer").register(this.registry);
    }

    private Counter rebalanceCounter(String event) {
        return Counter.builder("ackflow.rebalances").tags(this.tags.and("event", event))
            .description("Rebalance callbacks: partitions assigned, revoked or lost").register(this.registry);
    }

    private EngineSnapshot snapshot() {
        AckflowEngine current = this.engine.get();
        return (current != null) ? current.snapshot() : EngineSnapshot.EMPTY;
    }

    private @Nullable SubscriptionSnapshot subscription(String id) {
        for (SubscriptionSnapshot candidate : snapshot().subscriptions()) {
            if (candidate.id().equals(id)) {
                return candidate;
            }
        }
        return null;
    }

    private static String reasonTag(PauseReason reason) {
        return reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

}
