package io.ackflow.consumer.commit;

import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.state.EngineMetrics;

/**
 * Sends the consumer's offset commits and keeps the books on their answers: what the planner
 * says is due goes out asynchronously at the deadline (one at a time) or synchronously on
 * revoke, on a commit asked for and on stop; an answer updates the planner, the stats, the
 * metrics, the observer and the view of committed offsets. A commit refused because the group is
 * rebalancing is remembered, so that it is sent again as soon as the rebalance ends. Under
 * exactly-once the transaction commits the offsets, and only the books are kept here.
 * <p>
 * Threads: the poll thread alone sends commits and gets their callbacks (inside {@code poll});
 * {@link #committedOffsets} is safe from any thread.
 */
public final class Committer {

    private static final Logger logger = LoggerFactory.getLogger(Committer.class);

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final EngineStats stats;

    private final CommitObserver observer;

    private final EngineMetrics metrics;

    private final LongSupplier ticker;

    /** Offsets the broker confirmed, by assigned partition; written by the poll thread, read by any. */
    private final Map<TopicPartition, Long> committedView = new ConcurrentHashMap<>();

    /** Whether an asynchronous commit awaits its callback. Poll thread. */
    private boolean inFlight;

    /** A commit was refused because the group was rebalancing. Poll thread. */
    private boolean deferredByRebalance;

    /** @param ticker nanoseconds for commit latencies ({@code System::nanoTime} outside tests) */
    public Committer(Consumer<byte[], byte[]> consumer, CommitPlanner planner, EngineStats stats,
            CommitObserver observer, EngineMetrics metrics, LongSupplier ticker) {
        this.consumer = consumer;
        this.planner = planner;
        this.stats = stats;
        this.observer = observer;
        this.metrics = metrics;
        this.ticker = ticker;
    }

    /** Whether an asynchronous commit awaits its answer: no other is sent until it comes. Poll thread. */
    public boolean inFlight() {
        return this.inFlight;
    }

    /** Sends what is due asynchronously; nothing when no partition moved. Poll thread. */
    public void commitAsync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = this.planner.due(null);
        if (offsets.isEmpty()) {
            return;
        }
        this.observer.beforeCommit(offsets);
        this.inFlight = true;
        long started = this.ticker.getAsLong();
        this.consumer.commitAsync(offsets, (committed, exception) -> {
            this.inFlight = false;
            this.metrics.commitFinished(this.ticker.getAsLong() - started, exception == null);
            answered(offsets, exception);
        });
    }

    /**
     * Commits what is due in {@code scope} (all partitions when null) and waits for the answer.
     * Poll thread.
     * @return the offsets committed, empty when nothing moved
     */
    public Map<TopicPartition, OffsetAndMetadata> commitSync(Collection<TopicPartition> scope) {
        Map<TopicPartition, OffsetAndMetadata> offsets = this.planner.due(scope);
        if (offsets.isEmpty()) {
            return offsets;
        }
        this.observer.beforeCommit(offsets);
        long started = this.ticker.getAsLong();
        try {
            try {
                this.consumer.commitSync(offsets);
            }
            catch (WakeupException stray) {
                // A wakeup meant for a poll that had just returned; the commit itself was not tried.
                this.consumer.commitSync(offsets);
            }
        }
        catch (RuntimeException ex) {
            this.metrics.commitFinished(this.ticker.getAsLong() - started, false);
            answered(offsets, ex);
            throw ex;
        }
        this.metrics.commitFinished(this.ticker.getAsLong() - started, true);
        answered(offsets, null);
        return offsets;
    }

    /**
     * Keeps the books on a commit's answer: {@code exception} null when the broker confirmed
     * {@code offsets}. Poll thread.
     */
    public void answered(Map<TopicPartition, OffsetAndMetadata> offsets, Exception exception) {
        if (exception == null) {
            this.planner.confirmed(offsets);
            offsets.forEach((partition, offset) -> {
                if (this.planner.tracker(partition) != null) {
                    this.committedView.merge(partition, offset.offset(), Math::max);
                }
            });
            this.stats.recordCommit();
            this.deferredByRebalance = false;
            if (logger.isDebugEnabled()) {
                logger.debug("Committed {}", describe(offsets));
            }
        }
        else {
            this.planner.failed(offsets);
            this.stats.recordCommitFailure();
            if (exception instanceof RebalanceInProgressException) {
                // Expected while a cooperative rebalance is under way; committed again once it ends.
                this.deferredByRebalance = true;
                logger.info("Commit of {} deferred by a rebalance in progress; retried when it is over",
                        describe(offsets));
            }
            else {
                logger.warn("Commit of {} failed; it is retried at the next commit: {}", describe(offsets),
                        exception.toString());
            }
        }
        this.observer.afterCommit(offsets, exception);
    }

    /**
     * Whether the last commit was refused by a rebalance that has now ended, clearing it: the
     * caller commits at the next turn rather than a commit interval later. Poll thread.
     */
    public boolean takeDeferredByRebalance() {
        boolean deferred = this.deferredByRebalance;
        this.deferredByRebalance = false;
        return deferred;
    }

    /** The last committed offset of each assigned partition that had a commit. Any thread. */
    public Map<TopicPartition, Long> committedOffsets() {
        return Map.copyOf(this.committedView);
    }

    /** Forgets partitions that left or start afresh. Poll thread. */
    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(this.committedView::remove);
    }

    /**
     * Offsets for a log line, as {@code topic-partition=offset} in partition order; the metadata
     * (an encoded offset map, long and of no use to a reader) is left out.
     */
    public static String describe(Map<TopicPartition, OffsetAndMetadata> offsets) {
        return offsets.entrySet().stream()
            .sorted(Comparator.comparing((Map.Entry<TopicPartition, OffsetAndMetadata> e) -> e.getKey().topic())
                .thenComparingInt((e) -> e.getKey().partition()))
            .map((e) -> e.getKey() + "=" + e.getValue().offset())
            .collect(Collectors.joining(", ", "{", "}"));
    }

}
