package io.ackflow.consumer.share;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.ProgressSnapshot;
import io.ackflow.consumer.state.ShareSnapshot;
import io.ackflow.consumer.state.SubscriptionSnapshot;

/**
 * Publishes what a share consumer's poll thread knows, every half second and when asked: an
 * {@link EngineSnapshot} with its subscriptions and progress (no partitions: a share consumer has
 * none assigned), and a {@link ShareSnapshot} of the records in hand and their lock. Health, the
 * endpoint and meters read them from any thread and never touch the consumer.
 * <p>
 * Threads: {@link #publish} on the poll thread; the getters from any thread.
 */
final class SharePublisher {

    private static final long EVERY_MILLIS = 500;

    private final String group;

    private final Conductor conductor;

    private final EngineStats stats;

    private final LockWatch lockWatch;

    private final Clock clock;

    private volatile EngineSnapshot snapshot = EngineSnapshot.EMPTY;

    private volatile ShareSnapshot shareSnapshot = ShareSnapshot.EMPTY;

    private long nextAt = Long.MIN_VALUE;

    SharePublisher(String group, Conductor conductor, EngineStats stats, LockWatch lockWatch, Clock clock) {
        this.group = group;
        this.conductor = conductor;
        this.stats = stats;
        this.lockWatch = lockWatch;
        this.clock = clock;
    }

    /**
     * Publishes now when {@code force}, else when half a second passed since the last time.
     * @param batch the records in hand, or null
     * @param startedAt when the loop subscribed
     * @param lastPollAt when poll last returned, or null
     */
    void publish(boolean force, AcquiredBatch batch, Instant startedAt, Instant lastPollAt) {
        long at = this.clock.millis();
        if (!force && at < this.nextAt) {
            return;
        }
        this.nextAt = at + EVERY_MILLIS;
        List<SubscriptionSnapshot> subscriptions = new ArrayList<>();
        for (var runner : this.conductor.runners()) {
            var subscription = runner.subscription();
            SubscriptionStats totals = this.stats.subscription(subscription.id());
            subscriptions.add(new SubscriptionSnapshot(subscription.id(), subscription.topics(), subscription.ordering(),
                    subscription.concurrency(), runner.backlog(), totals.handled(), totals.failed(), totals.retried(),
                    totals.deadLettered(), totals.skipped()));
        }
        ProgressSnapshot progress = new ProgressSnapshot(startedAt, lastPollAt, 0, null, List.of(), null, false, null,
                -1);
        this.snapshot = new EngineSnapshot(Instant.ofEpochMilli(at), this.group, -1, "", List.of(), subscriptions,
                progress);
        this.shareSnapshot = (batch == null) ? new ShareSnapshot(this.group, 0, null, null, false, List.of())
                : new ShareSnapshot(this.group, batch.pendingCount(), Instant.ofEpochMilli(batch.acquiredAt()),
                        Instant.ofEpochMilli(batch.lockExpiresAt()), batch.warned(), this.lockWatch.held(batch));
    }

    EngineSnapshot snapshot() {
        return this.snapshot;
    }

    ShareSnapshot shareSnapshot() {
        return this.shareSnapshot;
    }

}
