package io.ackflow.consumer.loop;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.RebalanceListener;
import io.ackflow.consumer.commit.CommitFailures;
import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.commit.AtLeastOnceCommits;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.CommitStrategy;
import io.ackflow.consumer.transaction.TransactionalCommits;
import io.ackflow.consumer.commit.CommitSchedule;
import io.ackflow.consumer.commit.Committer;
import io.ackflow.consumer.commit.OffsetMapCodec;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.dispatch.LoopSignals;
import io.ackflow.consumer.flow.FlowControl;
import io.ackflow.consumer.flow.PauseController;
import io.ackflow.consumer.flow.PauseReason;
import io.ackflow.consumer.rebalance.RebalanceHandler;
import io.ackflow.consumer.state.CoordinatorWatch;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.LivelockDetector;
import io.ackflow.consumer.tracking.Drain;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * The body of the poll thread: poll, track and dispatch, commit when due; on stop, drain and
 * make a final commit.
 *
 * <h2>Threads</h2>
 * One thread, the <b>poll thread</b>, runs {@link #run} (or, in tests, {@link #runOnce} and
 * {@link #shutdown}) and is the only caller of the {@link Consumer}: poll, commit, pause, close.
 * It alone owns the {@link CommitPlanner} and the trackers' poll-side state. Other threads talk
 * to it only through its {@link CommandQueue} ({@link #controls}, {@link #commitNow}) and
 * {@link #requestStop}, which wake the consumer only while the poll thread
 * is inside {@code poll}: a wakeup outside it would abort the next {@code commitSync} instead
 * (hence the {@link Poller}'s flag). Handler threads reach it only through {@link LoopSignals}
 * (relayed while it is built): an ack, which is counted and wakes the poll when a commit or a
 * resume is due; a stop asked by a recovery; an exactly-once abort. A poll never blocks past the next commit deadline ({@link CommitSchedule}), so
 * commits are on time without a second thread touching the consumer.
 *
 * <h2>Processing guarantees</h2>
 * What makes progress durable is a {@link CommitStrategy}: {@link AtLeastOnceCommits} commits
 * with the consumer, {@link TransactionalCommits} in the producer's transaction at a barrier.
 * The loop calls its steps (advance, admit records, commit when due, revoke, stop) and never
 * asks which guarantee is in force.
 */
public final class PollLoop implements Runnable, LoopSignals {

    private static final Logger logger = LoggerFactory.getLogger(PollLoop.class);

    private static final long FLOW_RECHECK_MILLIS = 10;

    private final Consumer<byte[], byte[]> consumer;

    private final Conductor conductor;

    private final EngineConfig config;

    private final Clock clock;

    private final EngineStats stats;

    private final CommitPlanner planner;

    private final PauseController pauses;

    private final LivelockDetector livelock;

    /** How progress is made durable: at-least-once or exactly-once. */
    private final CommitStrategy commits;

    private final ApplicationControls controls;

    private final Shutdown shutdown;

    private final RebalanceHandler rebalance;

    private final CommandQueue commands;

    /** Binds the poll thread at its first call and refuses the others' poll-thread-only calls. */
    private final PollThread pollThread = new PollThread();

    private final SnapshotPublisher snapshots;

    /** Set while the consumer closes: the revoke it runs must not drain again. Poll thread only. */
    private volatile boolean closing;

    /** The consumer's poll, the flag that lets other threads wake only a poll, and its last return. */
    private final Poller poller;

    private final CommitSchedule schedule;

    private final Committer committer;

    /**
     * Acks to wait for before a partition paused by flow control may resume; the ack that
     * brings it to zero wakes the poll. Set by the poll thread, counted down by handler threads.
     */
    private final AtomicLong acksToResume = new AtomicLong();

    private volatile boolean stopRequested;

    /** Set when the loop ended on an unexpected error, or a subscription stopped it; the first one wins. */
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /**
     * @param conductorFactory makes the conductor and its runners, given the signals through
     *        which handler threads reach this loop
     * @param transactionalProducer under exactly-once, creates the producer whose transactions
     *        carry the offsets (transactions initialized); null at-least-once
     * @param name the engine's name, for messages
     */
    public PollLoop(Consumer<byte[], byte[]> consumer, Function<LoopSignals, Conductor> conductorFactory,
            EngineConfig config, EngineStats stats, CommitObserver observer, List<RebalanceListener> rebalanceListeners,
            EngineMetrics metrics,
            Supplier<? extends org.apache.kafka.clients.producer.Producer<?, ?>> transactionalProducer, String name) {
        // At a barrier every record is acked, so there is never a gap for an offset map to describe.
        boolean offsetMaps = config.offsetMaps() && transactionalProducer == null;
        this.planner = new CommitPlanner(offsetMaps ? new OffsetMapCodec(config.offsetMapMaxBytes()) : null, stats);
        this.poller = new Poller(consumer, config.clock());
        CommitFailures commitFailures = new CommitFailures(this.planner, config.clock());
        CommitObserver observers = commitFailures.andThen(observer);
        this.schedule = new CommitSchedule(config.clock(), config.commitInterval(), config.commitEvery());
        this.committer = new Committer(consumer, this.planner, stats, observers, metrics, System::nanoTime);
        this.consumer = consumer;
        this.commands = new CommandQueue(name, this::wakeupIfPolling);
        SignalsRelay signals = new SignalsRelay();
        this.conductor = conductorFactory.apply(signals);
        this.config = config;
        this.clock = config.clock();
        this.stats = stats;
        this.pauses = new PauseController(consumer,
                new FlowControl(config.maxInFlight(), config.maxInFlightPerPartition(), config.lowMark()));
        this.livelock = new LivelockDetector(config.commitLivelockSoftTimeout(), stats);
        this.snapshots = new SnapshotPublisher(consumer, this.planner, this.conductor, this.pauses, this.livelock, stats,
                new ProgressProbe(this.poller, commitFailures, new CoordinatorWatch(consumer::metrics)));
        Drain drain = new Drain(config.rebalanceDrainTimeout(), config.ticker(), this::checkHealth);
        Partitions partitions = new Partitions(consumer, this.planner, this.committer, this.conductor, stats,
                this.snapshots, drain);
        this.commits = (transactionalProducer == null)
                ? new AtLeastOnceCommits(this.committer, this.planner, partitions::dropQueued, drain)
                : new TransactionalCommits(transactionalProducer, name, new TransactionalCommits.Parts(consumer,
                        this.planner, this.committer, this.schedule, this.conductor, this.pauses, partitions, stats, observers,
                        metrics, this.clock, config.ticker(), config.rebalanceDrainTimeout(), this::wakeupIfPolling));
        this.rebalance = new RebalanceHandler(new RebalanceHandler.Parts(consumer, this.planner, this.committer,
                this.schedule, this.commits, this.conductor, this.pauses, this.livelock,
                partitions,
                this.poller.inPoll(), () -> this.closing, config.offsetMaps()), rebalanceListeners);
        this.shutdown = new Shutdown(consumer, this.conductor, this.planner, this.commits, this.pauses, this.commands,
                config.shutdownTimeout(), config.ticker());
        this.controls = new ApplicationControls(this.commands, this.pauses, this.planner, this.commits,
                new Seeks(consumer, this.commits, partitions, new SeekOffsets(consumer, offsetMaps)));
        signals.bind(this);
    }

    /**
     * Polls until a stop is requested, then shuts down. Poll thread.
     */
    @Override
    public void run() {
        try {
            subscribe();
            while (!this.stopRequested) {
                runOnce();
            }
        }
        catch (Throwable ex) {
            if (this.stopRequested && StoppingErrors.isStopping(ex)) {
                logger.debug("Poll loop of {} ended by the stop: {}", this.conductor.topics(), ex.toString());
            }
            else {
                this.failure.compareAndSet(null, ex);
                logger.error("Poll loop of {} failed; stopping with a final commit of what is acked",
                        this.conductor.topics(), ex);
            }
        }
        finally {
            shutdown();
        }
    }

    /** Subscribes the consumer to the subscriptions' topics and starts the commit clock. Poll thread. */
    public void subscribe() {
        this.pollThread.check("subscribe");
        this.consumer.subscribe(this.conductor.topics(), this.rebalance);
        this.schedule.restart();
        this.snapshots.started(this.clock.millis());
    }

    /**
     * One turn of the loop: run queued commands, poll until the next commit deadline at the most,
     * dispatch what came, commit if due; batches whose wait is over
     * are started first, and the poll never blocks past the next batch's deadline. Poll thread.
     */
    public void runOnce() {
        this.pollThread.check("runOnce");
        this.commands.runAll();
        this.commits.advance();
        long now = this.clock.millis();
        this.conductor.startDueBatches(now);
        // While an asynchronous commit awaits its callback no other commit is sent, so the
        // deadline does not shorten the poll (it would spin until the callback came).
        long untilCommit = (this.committer.inFlight() || this.commits.holding()) ? Long.MAX_VALUE
                : this.schedule.untilDue(now);
        long timeout = Math.max(0, Math.min(this.config.pollTimeout().toMillis(), untilCommit));
        if (this.pauses.anyFlowPaused() || this.commits.holding()) {
            // The ack that lets a paused partition resume wakes the poll; a wakeup that comes just
            // before the poll starts is lost, so look again soon all the same. A barrier or an
            // abort waits for acks the same way.
            timeout = Math.min(timeout, FLOW_RECHECK_MILLIS);
        }
        timeout = Math.min(timeout, this.commits.untilResume(now));
        // A batch handed over when its first record has waited its max-wait: poll no longer.
        timeout = Math.min(timeout, this.conductor.untilBatchDue(now));
        ConsumerRecords<byte[], byte[]> records = this.poller.poll(Duration.ofMillis(timeout));
        dispatch(records);
        commitIfDue();
        this.acksToResume.set(this.pauses.applyFlowControl(this.planner.trackers()));
        checkHealth();
    }

    /** Reports stuck partitions and publishes the snapshot when due; also while a revoke drains. Poll thread. */
    private void checkHealth() {
        long now = this.clock.millis();
        this.livelock.check(this.planner.trackers(), now, this.conductor::runningHandlers);
        this.snapshots.publishIfDue(now);
    }

    /** The partitions as the poll thread last published them. Any thread. */
    public EngineSnapshot snapshot() {
        return this.snapshots.snapshot();
    }

    /** The pause reasons of {@code partition}; empty when it is fetched. Poll thread. */
    public Set<PauseReason> pauseReasons(TopicPartition partition) {
        return this.pauses.reasons(partition);
    }

    /**
     * Stops fetching, starts no more handlers (queued records are read again by the next owner),
     * waits up to the shutdown timeout for the handlers running, commits what is committable
     * synchronously and closes the consumer. Poll thread.
     */
    public void shutdown() {
        this.pollThread.check("shutdown");
        this.shutdown.run(this.failure::get, this.poller::poll, () -> this.closing = true);
    }

    /** The last committed offset of each assigned partition that had a commit. Any thread. */
    public Map<TopicPartition, Long> committedOffsets() {
        return this.committer.committedOffsets();
    }

    /** Pause, resume, seek and commit now for the application. Any thread. */
    public ApplicationControls controls() {
        return this.controls;
    }

    /** Asks the loop to stop at its next turn. Any thread. */
    public void requestStop() {
        this.stopRequested = true;
        wakeupIfPolling();
    }

    /**
     * Stops the engine because of {@code cause} (a subscription's STOP recovery): nothing more is
     * started, running handlers finish up to the shutdown timeout, the acked prefix is committed,
     * and {@code cause} becomes the engine's failure. Any thread.
     */
    @Override
    public void requestStop(Throwable cause) {
        this.failure.compareAndSet(null, cause);
        this.conductor.close();
        requestStop();
    }

    /** Whether a stop was requested. */
    public boolean stopRequested() {
        return this.stopRequested;
    }

    /** The error the loop ended on, or null. */
    public Throwable failure() {
        return this.failure.get();
    }

    /**
     * Commits what is committable now, synchronously on the poll thread. Any thread.
     * @return the offsets committed (empty when nothing moved), or the commit's failure
     */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow() {
        return this.controls.commitPartitions(null);
    }

    /**
     * Exactly-once: a handler failed on {@code record}, so the open transaction is aborted and
     * the records read again, those of the record's partition no sooner than
     * {@code retryDelayMillis} from now. Any thread (a handler's, before its slot is freed).
     */
    @Override
    public void abortFor(TrackedRecord record, long retryDelayMillis) {
        this.commits.abortFor(record, retryDelayMillis);
    }

    /** Counts the ack; wakes the poll when {@code commitEvery} acks are waiting. Any thread. */
    @Override
    public void acked(TrackedRecord record) {
        if (record.isLate()) {
            this.stats.recordLateAck();
            return;
        }
        this.stats.recordAcked();
        if (this.schedule.countAck()
                || (this.acksToResume.get() > 0 && this.acksToResume.decrementAndGet() == 0)) {
            wakeupIfPolling();
        }
    }

    private void wakeupIfPolling() {
        this.poller.wakeupIfPolling();
    }

    private void dispatch(ConsumerRecords<byte[], byte[]> records) {
        if (!records.isEmpty() && !this.commits.admit(records)) {
            return;
        }
        this.stats.recordReceived(records.count());
        for (TopicPartition partition : records.partitions()) {
            OffsetTracker tracker = this.planner.tracker(partition);
            if (tracker == null) {
                if (!this.consumer.assignment().contains(partition)) {
                    // Fetched before the partition was revoked: its next owner reads it again.
                    logger.debug("Ignoring {} records of {}, no longer assigned", records.records(partition).size(),
                            partition);
                    continue;
                }
                // Assigned without an assignment callback having run yet: track it all the same.
                tracker = this.planner.assign(partition);
            }
            // Records acked by the partition's previous owner above its last commit (its offset
            // map) are acked at once, not handed to any subscription.
            OffsetTracker batchTracker = tracker;
            int skipped = this.conductor.dispatch(records.records(partition), tracker, batchTracker::ackedBefore);
            this.stats.recordAlreadyAcked(skipped);
        }
        // Positions the poll moved (also past markers or aborted records, without a record), now
        // that its records are tracked: idle partitions commit them.
        this.planner.polledTo(records.nextOffsets());
    }

    private void commitIfDue() {
        if (this.committer.inFlight() || this.commits.holding() || !this.schedule.takeIfDue()) {
            return;
        }
        this.commits.commitDue();
    }

}
