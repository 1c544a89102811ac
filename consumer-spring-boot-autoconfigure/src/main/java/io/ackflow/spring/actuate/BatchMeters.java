package io.ackflow.spring.actuate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import io.ackflow.consumer.Subscription;

/**
 * The meters of the batch subscriptions of one Ackflow consumer: {@code ackflow.batch.size}, the
 * distribution of how many records each call of a batch handler got, and
 * {@code ackflow.batch.duration}, the time from a batch handler's call to its end, by outcome.
 * Tags: {@code consumer}, {@code subscription}, and {@code outcome} on the duration.
 * <p>
 * Threads: made on the context's thread; {@link #record} is called on handler threads (or the
 * thread that completed a batch handler's stage). The meters are registered up front; the map
 * is read only afterwards.
 */
final class BatchMeters {

    private final Map<String, Meters> bySubscription = new ConcurrentHashMap<>();

    BatchMeters(MeterRegistry registry, Tags consumerTags, List<Subscription<?, ?>> subscriptions) {
        for (Subscription<?, ?> subscription : subscriptions) {
            if (subscription.isBatch()) {
                Tags tags = consumerTags.and("subscription", subscription.id());
                this.bySubscription.put(subscription.id(), new Meters(
                        DistributionSummary.builder("ackflow.batch.size").tags(tags).baseUnit("records")
                            .description("Records in each call of a batch handler").register(registry),
                        timer(registry, tags, "success"), timer(registry, tags, "failure")));
            }
        }
    }

    /** One batch handler call of {@code size} records ended after {@code durationNanos}. */
    void record(String subscriptionId, int size, long durationNanos, boolean succeeded) {
        Meters meters = this.bySubscription.get(subscriptionId);
        if (meters != null) {
            meters.size.record(size);
            (succeeded ? meters.success : meters.failure).record(durationNanos, TimeUnit.NANOSECONDS);
        }
    }

    private static Timer timer(MeterRegistry registry, Tags tags, String outcome) {
        return Timer.builder("ackflow.batch.duration").tags(tags.and("outcome", outcome))
            .description("Time from a batch handler call to its end (its return, or its future's completion)")
            .register(registry);
    }

    private record Meters(DistributionSummary size, Timer success, Timer failure) {
    }

}
