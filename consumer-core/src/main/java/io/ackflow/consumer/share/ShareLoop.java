package io.ackflow.consumer.share;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.ShareStats;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.dispatch.LoopSignals;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.ShareSnapshot;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.RecordOutcome;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * The poll thread of a share consumer: it polls a {@link ShareConsumer} in explicit
 * acknowledgement mode, hands every record to each subscription of its topic through the same
 * {@link Conductor} as a consumer group (reference count, deserialize once, lanes, handler
 * threads, error policy), and settles each record with the broker once every subscription
 * released it: {@code ACCEPT}, or the {@code RELEASE} or {@code REJECT} a recovery asked for.
 * <p>
 * <b>The turn.</b> With no batch in hand, {@link #runOnce} polls; the records it returns are an
 * {@link AcquiredBatch}, dispatched at once. A share consumer in explicit mode polls again only
 * when every record of its last poll is acknowledged, so while a batch is in hand the turn waits
 * for completions instead (no longer than the poll timeout, the commit deadline and the lock's
 * warning time or expiry), acknowledges them, sends the acknowledgements every commit interval
 * ({@code commitAsync}), reports records held close to their lock's expiry and writes the batch
 * off when the lock expired ({@link LockWatch}). The poll that follows a finished batch sends its
 * last acknowledgements.
 * <p>
 * <b>Lock expiry.</b> When the acquisition lock of the batch expires (by the engine's clock,
 * counted from when poll returned, so after the broker's own), the broker has made its records
 * available again. The loop stops their queued deliveries, marks the batch's records late, and
 * acknowledges the records not settled {@code RELEASE} in the consumer so that it may poll again
 * (the broker refuses or ignores those acknowledgements: the records are no longer this member's).
 * A handler still running finishes, but its record is not acknowledged: a late completion, counted.
 * <p>
 * <b>Stop.</b> Nothing more starts; handlers already running get up to the shutdown timeout and
 * their records are settled; the records acquired but never started, or still running after the
 * timeout, are acknowledged {@code RELEASE}, so the broker delivers them again at once rather
 * than after their lock; the acknowledgements are committed synchronously and the consumer closed.
 * <p>
 * Threads: the poll thread owns the share consumer, the batch and everything here but
 * {@link #acked}, {@link #requestStop}, {@link #snapshot}, {@link #shareSnapshot} and
 * {@link #failure}, which are safe from any thread. Handler threads reach the loop only through
 * {@link LoopSignals}: {@link #acked} queues the record for the poll thread.
 */
public final class ShareLoop implements Runnable, LoopSignals {

    private static final Logger logger = LoggerFactory.getLogger(ShareLoop.class);

    private final ShareConsumer<byte[], byte[]> consumer;

    private final Conductor conductor;

    private final String group;

    private final EngineConfig config;

    private final EngineStats stats;

    private final ShareStats shareStats;

    private final EngineMetrics metrics;

    private final String engineName;

    private final long defaultLockMillis;

    private final Completions completions = new Completions();

    private final LockWatch lockWatch;

    private final Acknowledgements acknowledgements;

    /** Set while the poll thread is inside {@code poll}: the only time another thread may wake it. */
    private final AtomicBoolean inPoll = new AtomicBoolean();

    private volatile boolean stopRequested;

    private volatile Throwable failure;

    private final SharePublisher publisher;

    /** The records of the last poll not yet settled, or null. Poll thread. */
    private AcquiredBatch batch;

    private long nextCommitAt;

    private Instant startedAt;

    private Instant lastPollAt;

    /**
     * @param consumer a share consumer in explicit acknowledgement mode, reading byte arrays
     * @param conductorFactory makes the conductor over the subscriptions, given this loop as their signals
     * @param group the share group, for messages and the snapshot
     * @param defaultLock the acquisition lock assumed until the consumer reports the group's own
     */
    public ShareLoop(ShareConsumer<byte[], byte[]> consumer, Function<LoopSignals, Conductor> conductorFactory,
            String group, EngineConfig config, EngineStats stats, ShareStats shareStats, EngineMetrics metrics,
            String engineName, Duration defaultLock) {
        this.consumer = consumer;
        this.group = group;
        this.config = config;
        this.stats = stats;
        this.shareStats = shareStats;
        this.metrics = metrics;
        this.engineName = engineName;
        this.defaultLockMillis = defaultLock.toMillis();
        this.conductor = conductorFactory.apply(this);
        this.lockWatch = new LockWatch(engineName, group, this.conductor, shareStats);
        this.acknowledgements = new Acknowledgements(consumer, stats, shareStats, engineName, group);
        this.publisher = new SharePublisher(group, this.conductor, stats, this.lockWatch, config.clock());
    }

    @Override
    public void run() {
        try {
            subscribe();
            while (!this.stopRequested) {
                runOnce();
            }
        }
        catch (Throwable ex) {
            if (this.failure == null) {
                this.failure = ex;
            }
            logger.error("Share consumer '{}' (group '{}') failed; stopping", this.engineName, this.group, ex);
        }
        finally {
            new ShareShutdown(this).run();
        }
    }

    /** Subscribes to the topics of the subscriptions. Poll thread. */
    public void subscribe() {
        this.acknowledgements.install();
        this.consumer.subscribe(this.conductor.topics());
        this.startedAt = this.config.clock().instant();
        this.nextCommitAt = now() + this.config.commitInterval().toMillis();
        publish(true);
    }

    /** One turn: poll and dispatch, or wait for the batch in hand and settle what completed. Poll thread. */
    public void runOnce() {
        if (this.batch == null) {
            settleCompleted();
            pollAndDispatch();
        }
        else {
            awaitCompletions();
            // No poll while a batch is in hand: each turn (at most a poll timeout) shows the loop alive.
            this.lastPollAt = this.config.clock().instant();
            settleCompleted();
            watchLock();
            commitIfDue();
            if (this.batch != null && this.batch.isDone()) {
                this.batch = null;
            }
        }
        publish(false);
    }

    private void pollAndDispatch() {
        ConsumerRecords<byte[], byte[]> records;
        this.inPoll.set(true);
        try {
            if (this.stopRequested) {
                return;
            }
            records = this.consumer.poll(this.config.pollTimeout());
        }
        catch (WakeupException woken) {
            return;
        }
        finally {
            this.inPoll.set(false);
        }
        this.acknowledgements.polled();
        this.nextCommitAt = now() + this.config.commitInterval().toMillis();
        this.lastPollAt = this.config.clock().instant();
        if (records.isEmpty()) {
            return;
        }
        long lockMillis = this.consumer.acquisitionLockTimeoutMs().map(Integer::longValue).orElse(this.defaultLockMillis);
        AcquiredBatch acquired = new AcquiredBatch(now(), lockMillis, records.count());
        this.batch = acquired;
        this.stats.recordReceived(records.count());
        this.shareStats.recordAcquired(records.count());
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> batchOf = records.records(partition);
            for (ConsumerRecord<byte[], byte[]> record : batchOf) {
                this.metrics.shareRecordAcquired(record.deliveryCount().orElse((short) 1));
            }
            OffsetTracker tracker = acquired.trackerFor(partition, batchOf);
            this.conductor.dispatch(batchOf, tracker, (offset) -> false);
        }
        settleCompleted();
        if (acquired.isDone()) {
            this.batch = null;
        }
    }

    /** Waits for a completion, a wake-up or the next deadline of the batch in hand. */
    private void awaitCompletions() {
        long now = now();
        long until = Math.min(now + this.config.pollTimeout().toMillis(), this.nextCommitAt);
        until = Math.min(until, this.batch.warned() ? this.batch.lockExpiresAt() : this.batch.warnAt());
        try {
            this.completions.await(until - now);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            requestStop(ex);
        }
    }

    /** Acknowledges every record whose subscriptions all released it since the last call. Poll thread. */
    void settleCompleted() {
        for (TrackedRecord record; (record = this.completions.next()) != null; ) {
            if (this.batch == null || record.isLate() || !this.batch.isPending(record.raw())) {
                this.shareStats.recordLateCompletion();
                logger.debug("Share consumer '{}': {} completed after its acquisition lock expired; not acknowledged",
                        this.engineName, record);
                continue;
            }
            acknowledge(record.raw(), record.outcome());
        }
    }

    /** Acknowledges {@code record}, pending in the batch in hand, as {@code outcome}. Poll thread. */
    void acknowledge(ConsumerRecord<byte[], byte[]> record, RecordOutcome outcome) {
        this.acknowledgements.settle(record, outcome);
        this.batch.settled(record);
    }

    private void watchLock() {
        if (this.batch == null || this.batch.isDone()) {
            return;
        }
        long now = now();
        this.lockWatch.check(this.batch, now);
        if (this.lockWatch.expired(this.batch, now)) {
            writeOff(now);
        }
    }

    /** The batch's lock expired: its records are the broker's again. Poll thread. */
    private void writeOff(long now) {
        AcquiredBatch expired = this.batch;
        this.lockWatch.writtenOff(expired, expired.pendingCount(), now);
        expired.retire();
        int dropped = this.conductor.dropQueued(Set.copyOf(expired.partitions()));
        List<ConsumerRecord<byte[], byte[]>> pending = expired.pendingRecords();
        this.shareStats.recordExpired(pending.size());
        for (ConsumerRecord<byte[], byte[]> record : pending) {
            // Lets the consumer poll again; the broker no longer counts the record as this member's.
            this.acknowledgements.writeOff(record);
            expired.settled(record);
        }
        logger.debug("Share consumer '{}': wrote off {} record(s), {} queued deliveries dropped", this.engineName,
                pending.size(), dropped);
        this.batch = null;
    }

    private void commitIfDue() {
        long now = now();
        if (now < this.nextCommitAt) {
            return;
        }
        this.nextCommitAt = now + this.config.commitInterval().toMillis();
        this.acknowledgements.sendIfAny();
    }

    private void publish(boolean force) {
        this.publisher.publish(force, this.batch, this.startedAt, this.lastPollAt);
    }

    private long now() {
        return this.config.clock().millis();
    }

    /** The subscriptions and the loop's progress, as last published. Any thread. */
    public EngineSnapshot snapshot() {
        return this.publisher.snapshot();
    }

    /** The records in hand and their lock, as last published. Any thread. */
    public ShareSnapshot shareSnapshot() {
        return this.publisher.shareSnapshot();
    }

    /** Stops the loop after the turn under way. Any thread. */
    public void requestStop() {
        this.stopRequested = true;
        this.completions.wake();
        if (this.inPoll.get()) {
            this.consumer.wakeup();
        }
    }

    @Override
    public void requestStop(Throwable cause) {
        if (this.failure == null) {
            this.failure = cause;
        }
        requestStop();
    }

    /** Why the loop stopped, when a failure stopped it; else null. */
    public Throwable failure() {
        return this.failure;
    }

    @Override
    public void acked(TrackedRecord record) {
        this.completions.add(record);
    }

    @Override
    public void abortFor(TrackedRecord record, long retryDelayMillis) {
        throw new UnsupportedOperationException("A share consumer has no transactions to abort");
    }

    // For the stop, on the poll thread.

    ShareConsumer<byte[], byte[]> consumer() {
        return this.consumer;
    }

    Conductor conductor() {
        return this.conductor;
    }

    AcquiredBatch batch() {
        return this.batch;
    }

    EngineConfig config() {
        return this.config;
    }

    String engineName() {
        return this.engineName;
    }

    void published() {
        publish(true);
    }

}
