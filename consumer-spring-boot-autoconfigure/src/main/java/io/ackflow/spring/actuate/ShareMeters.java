package io.ackflow.spring.actuate;

import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.ShareStats;
import io.ackflow.consumer.state.ShareSnapshot;

/**
 * The {@code ackflow.share.*} meters of one Ackflow share consumer: records acquired, accepted,
 * released, rejected, reported close to their lock's expiry, expired and completed late (counters
 * read from the engine's {@link ShareStats}), the records in hand now (a gauge on the snapshot the
 * poll thread publishes), and the distribution of the delivery counts of acquired records,
 * recorded as the poll thread reports them.
 * <p>
 * Tags: {@code consumer}.
 * <p>
 * Threads: created on the context's thread; {@link #acquired} is called on the poll thread;
 * meters are read by the registry's threads. No mutable state of its own.
 */
final class ShareMeters {

    private final Supplier<@Nullable AckflowEngine> engine;

    private final DistributionSummary deliveryCounts;

    ShareMeters(MeterRegistry registry, Tags tags, Supplier<@Nullable AckflowEngine> engine) {
        this.engine = engine;
        counter(registry, tags, "ackflow.share.records.acquired", "Records a share consumer's polls acquired",
                ShareStats::acquired);
        counter(registry, tags, "ackflow.share.records.accepted",
                "Records acknowledged ACCEPT: every handler released them, or a recovery settled them", ShareStats::accepted);
        counter(registry, tags, "ackflow.share.records.released",
                "Records acknowledged RELEASE (delivered again): by the release recovery, or on stop before they ran",
                ShareStats::released);
        counter(registry, tags, "ackflow.share.records.rejected", "Records acknowledged REJECT (never delivered again)",
                ShareStats::rejected);
        counter(registry, tags, "ackflow.share.lock.warnings",
                "Records still held when four fifths of their acquisition lock had passed", ShareStats::lockWarnings);
        counter(registry, tags, "ackflow.share.records.expired",
                "Records whose acquisition lock expired before every handler released them", ShareStats::expired);
        counter(registry, tags, "ackflow.share.records.late",
                "Records of an expired lock released by every handler afterwards; not acknowledged",
                ShareStats::lateCompletions);
        counter(registry, tags, "ackflow.share.acknowledgement.failures",
                "Acknowledgements the broker did not apply", ShareStats::acknowledgementFailures);
        Gauge.builder("ackflow.share.records.in.hand", this, (m) -> m.snapshot().acquired())
            .tags(tags).description("Records the last poll acquired that are not settled with the broker yet")
            .register(registry);
        this.deliveryCounts = DistributionSummary.builder("ackflow.share.delivery.count").tags(tags)
            .description("Delivery count of each record acquired (1 the first time)")
            .serviceLevelObjectives(1, 2, 3, 5, 10)
            .register(registry);
    }

    /** A record was acquired for its {@code deliveryCount}-th delivery. Poll thread. */
    void acquired(int deliveryCount) {
        this.deliveryCounts.record(deliveryCount);
    }

    private void counter(MeterRegistry registry, Tags tags, String name, String description,
            ToLongFunction<ShareStats> count) {
        FunctionCounter.builder(name, this, (m) -> m.read((e) -> (double) count.applyAsLong(e.shareStats())))
            .tags(tags).description(description).register(registry);
    }

    private double read(Function<AckflowEngine, Double> counter) {
        AckflowEngine current = this.engine.get();
        return (current != null) ? counter.apply(current) : 0;
    }

    private ShareSnapshot snapshot() {
        AckflowEngine current = this.engine.get();
        ShareSnapshot snapshot = (current != null) ? current.shareSnapshot() : null;
        return (snapshot != null) ? snapshot : ShareSnapshot.EMPTY;
    }

}
