package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.failure.RetryScheduler;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.share.ShareLoop;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.ShareSnapshot;

/**
 * A Kafka consumer that hands every record to each subscription of its topic, acks it when all
 * of them released it, and commits each partition up to the end of its run of acked records.
 * <p>
 * Threads: {@link #start} starts one poll thread, which creates, owns and closes the
 * {@link Consumer}; each subscription's handlers run on an executor of its own, on threads named
 * {@code ackflow-<engine>-<subscription>-<n>} (virtual threads on 21+), so a subscription whose
 * handlers block cannot take another's threads. Every public method is safe from any thread: the
 * requests ({@link #pause}, {@link #resume}, {@link #seek}, {@link #commitNow}) are carried out by
 * the poll thread, and their futures fail at once with an {@link EngineNotRunningException} when
 * the engine is not running.
 */
public final class AckflowEngine {

    /** What the builder settled. */
    private final EngineParts parts;

    private final EngineStats stats = new EngineStats();

    private final ShareStats shareStats = new ShareStats();

    /** Its state, its poll thread and the requests handed to it. */
    private final EngineRun run;

    private AckflowEngine(EngineParts parts) {
        this.parts = parts;
        for (Subscription<?, ?> subscription : parts.subscriptions()) {
            this.stats.subscription(subscription.id());
        }
        this.run = new EngineRun(parts, this.stats, this.shareStats);
    }

    public static Builder builder() {
        return new Builder();
    }

    public String name() {
        return this.parts.name();
    }

    public EngineConfig config() {
        return this.parts.config();
    }

    /**
     * The Kafka client settings the engine creates its consumer with, when it was given
     * {@link Builder#consumerConfigs settings} rather than a factory; empty otherwise.
     */
    public Map<String, Object> consumerConfigs() {
        return this.parts.consumerConfigs();
    }

    public List<Subscription<?, ?>> subscriptions() {
        return this.parts.subscriptions();
    }

    /** The rebalance listeners, in the order they are told. */
    public List<RebalanceListener> rebalanceListeners() {
        return this.parts.rebalanceListeners();
    }

    public EngineState state() {
        return this.run.state();
    }

    public EngineStats stats() {
        return this.stats;
    }

    /** Whether the engine is a share consumer ({@link Builder#shareConsumerConfigs}) rather than a consumer group. */
    public boolean isShareConsumer() {
        return this.parts.share() != null;
    }

    /** The share group of a share consumer; null for a consumer group. */
    public String shareGroup() {
        return isShareConsumer() ? this.parts.share().group() : null;
    }

    /** A share consumer's acknowledgement totals; all zero for a consumer group. */
    public ShareStats shareStats() {
        return this.shareStats;
    }

    /**
     * A share consumer's records in hand and their acquisition lock, as the poll thread last
     * published them; null for a consumer group, {@link ShareSnapshot#EMPTY} before it runs.
     */
    public ShareSnapshot shareSnapshot() {
        if (!isShareConsumer()) {
            return null;
        }
        RunLoop current = this.run.loopNow();
        return (current != null) ? current.shareSnapshot() : ShareSnapshot.EMPTY;
    }

    /** The error the engine stopped on, when {@link #state()} is {@link EngineState#FAILED}. */
    public Throwable failure() {
        return this.run.failure();
    }

    /**
     * Starts the poll thread, which creates the consumer and subscribes it.
     * @throws IllegalStateException if the engine was started before
     */
    public void start() {
        this.run.start();
    }

    /**
     * Stops fetching, waits up to the shutdown timeout for dispatched records to finish, commits
     * what is acked and closes the consumer; returns when that is done. Does nothing when the
     * engine was never started or is already stopped.
     * @return whether the engine stopped within the shutdown timeout plus {@code grace}
     */
    public boolean stop(Duration grace) throws InterruptedException {
        return this.run.stop(grace);
    }

    /** {@link #stop(Duration)} with 10 s of grace for the final commit and close. */
    public boolean stop() throws InterruptedException {
        return stop(Duration.ofSeconds(10));
    }

    /**
     * The assigned partitions as the poll thread last published them (at most half a second old,
     * and fresh after each rebalance): committed and committable offsets, in-flight counts, the
     * oldest pending record with the subscriptions holding it, stuck flags and pause reasons.
     */
    public EngineSnapshot snapshot() {
        RunLoop current = this.run.loopNow();
        return (current != null) ? current.snapshot() : EngineSnapshot.EMPTY;
    }

    /**
     * The offsets last committed for the assigned partitions (next offset to read), as the
     * broker confirmed them; empty before the first commit.
     */
    public Map<TopicPartition, Long> committedOffsets() {
        RunLoop current = this.run.loopNow();
        return (current != null) ? current.committedOffsets() : Map.of();
    }

    /**
     * Commits what is committable now, on the poll thread, synchronously.
     * @return the offsets committed (empty when nothing moved since the last commit)
     */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow() {
        return this.run.request((l) -> l.controls().commitPartitions(null));
    }

    /**
     * Commits what is committable now in {@code partitions} (those assigned to this engine), on
     * the poll thread, synchronously. Under exactly-once the open transaction commits, with every
     * partition it read.
     * @return the offsets committed (empty when nothing moved since the last commit)
     */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(Collection<TopicPartition> partitions) {
        Objects.requireNonNull(partitions, "partitions must not be null");
        return this.run.request((l) -> l.controls().commitPartitions(partitions));
    }

    /** Commits what is committable now in the assigned partitions of {@code topic}; see {@link #commitNow(Collection)}. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(String topic) {
        return this.run.request((l) -> l.controls().commitTopic(topic));
    }

    /** Pauses fetching from {@code partitions} until {@link #resume}; kept across rebalances. */
    public CompletableFuture<Void> pause(Collection<TopicPartition> partitions) {
        return this.run.request((l) -> l.controls().pausePartitions(partitions));
    }

    /** Resumes partitions paused by {@link #pause(Collection)}; flow-control pauses stay. */
    public CompletableFuture<Void> resume(Collection<TopicPartition> partitions) {
        return this.run.request((l) -> l.controls().resumePartitions(partitions));
    }

    /** Pauses every partition of {@code topic}, also those assigned later. */
    public CompletableFuture<Void> pause(String topic) {
        return this.run.request((l) -> l.controls().pauseTopic(topic));
    }

    /** Resumes a topic paused by {@link #pause(String)}. */
    public CompletableFuture<Void> resume(String topic) {
        return this.run.request((l) -> l.controls().resumeTopic(topic));
    }

    /**
     * Reads {@code partition} from {@code offset} next; see {@link #seek(Collection, Seek)}.
     * @throws IllegalArgumentException when {@code offset} is negative
     */
    public CompletableFuture<Void> seek(TopicPartition partition, long offset) {
        Seek to = Seek.toOffset(offset);
        return seek(List.of(partition), to).thenApply((result) -> null);
    }

    /**
     * Seeks {@code partitions} to {@code to}: an offset, the beginning, the end, a timestamp or
     * the group's committed offset. Each one assigned to this engine is handed over as in a
     * revoke: its queued records are dropped, the handlers running on its records are waited for
     * up to the rebalance drain timeout, what they finish later is ignored, and it is read from
     * the new offset. A partition not assigned is sought if the next rebalance assigns it.
     * @return where each partition is read from next; fails, with nothing sought, when an offset
     *         cannot be found (a partition without a committed offset, a broker that does not answer)
     * @throws IllegalArgumentException when a partition is of a topic this engine does not read
     */
    public CompletableFuture<SeekResult> seek(Collection<TopicPartition> partitions, Seek to) {
        Objects.requireNonNull(to, "to must not be null");
        partitions.forEach((partition) -> checkReads(partition.topic()));
        return this.run.request((l) -> l.controls().seekPartitions(partitions, to));
    }

    /** Seeks every partition of {@code topic} assigned to this engine; see {@link #seek(Collection, Seek)}. */
    public CompletableFuture<SeekResult> seek(String topic, Seek to) {
        Objects.requireNonNull(to, "to must not be null");
        checkReads(topic);
        return this.run.request((l) -> l.controls().seekTopic(topic, to));
    }

    /** Seeks every partition assigned to this engine; see {@link #seek(Collection, Seek)}. */
    public CompletableFuture<SeekResult> seek(Seek to) {
        Objects.requireNonNull(to, "to must not be null");
        return this.run.request((l) -> l.controls().seekAll(to));
    }

    private void checkReads(String topic) {
        boolean reads = this.parts.subscriptions().stream().anyMatch((s) -> s.topics().contains(topic));
        if (!reads) {
            throw new IllegalArgumentException("Engine '" + name() + "' does not read topic '" + topic + "'");
        }
    }

    /**
     * Builds the poll loop around {@code consumer} without starting a thread, for tests that run
     * the loop step by step on their own thread with a controlled clock.
     */
    PollLoop newLoop(Consumer<byte[], byte[]> consumer, Executor executor) {
        return this.parts.newLoop(consumer, (subscription) -> executor, testRetries(), this.stats);
    }

    /**
     * Builds a share consumer's loop around a share consumer from its factory without starting a
     * thread, for tests that run it step by step on their own thread with a controlled clock.
     */
    ShareLoop newShareLoop(Executor executor) {
        return this.parts.newShareLoop((subscription) -> executor, testRetries(), this.stats, this.shareStats);
    }

    /** The builder's retry scheduler, or one that refuses every retry, for the step-by-step loops of tests. */
    private RetryScheduler testRetries() {
        return (this.parts.retryScheduler() != null) ? this.parts.retryScheduler() : (task, delay) -> {
            throw new IllegalStateException("Engine '" + this.parts.name() + "' has no retry scheduler");
        };
    }

    @Override
    public String toString() {
        return "AckflowEngine[" + this.parts.name() + ", " + this.run.state() + ", " + this.parts.subscriptions() + "]";
    }

    /**
     * Builds an {@link AckflowEngine}; {@link #build()} validates the whole and names what is wrong.
     */
    public static final class Builder {

        private String name = "ackflow";

        private Supplier<Consumer<byte[], byte[]>> consumerFactory;

        private Map<String, Object> consumerConfigs = Map.of();

        private EngineConfig config = EngineConfig.defaults();

        private final List<Subscription<?, ?>> subscriptions = new ArrayList<>();

        private CommitObserver commitObserver = CommitObserver.NONE;

        private Executor handlerExecutor;

        private final List<RebalanceListener> rebalanceListeners = new ArrayList<>();

        private RetryScheduler retryScheduler;

        private EngineMetrics metrics = EngineMetrics.NONE;

        private Supplier<? extends Producer<?, ?>> transactionalProducer;

        private ShareGroup share;

        /** The settings {@link #shareConsumerConfigs} was given, until {@link #build} bounds them; else null. */
        private Map<String, Object> shareConsumerConfigs;

        private Builder() {
        }

        /**
         * Exactly-once: creates the producer whose transactions carry the consumed offsets, on the
         * poll thread, when the first transaction begins and again after one had to be closed
         * (fenced, or handlers outlived their transaction). The producer must have its
         * {@code transactional.id} set, unique to this engine instance, and its transactions
         * initialized. Handlers send what they produce with the producer last created (the one of
         * the open transaction); the engine begins, commits and aborts its transactions and
         * closes it. Required when {@link EngineConfig#processingGuarantee()} is
         * {@link ProcessingGuarantee#EXACTLY_ONCE}, refused otherwise.
         */
        public Builder transactionalProducer(Supplier<? extends Producer<?, ?>> transactionalProducer) {
            this.transactionalProducer = transactionalProducer;
            return this;
        }

        /** Told of handler and commit timings, for a metrics library; see {@link EngineMetrics}. */
        public Builder metrics(EngineMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Where retries of failed handlers wait, instead of the engine's own timer thread; tests
         * pass one they fire by hand.
         */
        public Builder retryScheduler(RetryScheduler retryScheduler) {
            this.retryScheduler = retryScheduler;
            return this;
        }

        /** Told of assignment changes on the poll thread, in the order added. */
        public Builder rebalanceListener(RebalanceListener listener) {
            this.rebalanceListeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /** Names the engine's threads and messages (default {@code ackflow}). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Creates the consumer, on the poll thread. It must read {@code byte[]} keys and values and
         * must not auto-commit: the engine owns offset commits. The engine cannot see the settings
         * of a consumer made elsewhere; give it {@link #consumerConfigs} instead to have them checked.
         */
        public Builder consumerFactory(Supplier<Consumer<byte[], byte[]>> consumerFactory) {
            this.consumerFactory = consumerFactory;
            this.consumerConfigs = Map.of();
            return this;
        }

        /**
         * Creates the consumer from Kafka client settings ({@code bootstrap.servers},
         * {@code group.id}, security, ...), with {@code byte[]} deserializers and
         * {@code enable.auto.commit=false}, which Kafka would otherwise default to true.
         * {@link #build()} refuses {@code enable.auto.commit=true}: auto-commit would commit
         * records whose subscriptions are not done with them. Replaces a {@link #consumerFactory}.
         */
        public Builder consumerConfigs(Map<String, ?> consumerConfigs) {
            Objects.requireNonNull(consumerConfigs, "consumerConfigs must not be null");
            Map<String, Object> copy = new HashMap<>(consumerConfigs);
            copy.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
            copy.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
            this.consumerConfigs = copy;
            this.consumerFactory = () -> new KafkaConsumer<>(this.consumerConfigs, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            return this;
        }

        /**
         * Makes the engine a share consumer of {@code group} (KIP-932): the broker hands it records,
         * not partitions, and it settles each record with the broker once every subscription of
         * its topic released it ({@code ACCEPT}, or the {@code RELEASE} or {@code REJECT} of a
         * recovery). {@code factory} creates the share consumer on the poll thread; it must read
         * {@code byte[]} keys and values in explicit acknowledgement mode
         * ({@code share.acknowledgement.mode=explicit}). Subscriptions must be
         * {@link Ordering#UNORDERED}; no exactly-once and no consumer group's consumer. Rebalance
         * listeners are never told anything: a share consumer has no partitions assigned.
         */
        public Builder shareConsumer(String group, Supplier<ShareConsumer<byte[], byte[]>> factory) {
            Objects.requireNonNull(factory, "factory must not be null");
            this.share = new ShareGroup(group, factory, ShareGroup.DEFAULT_LOCK_DURATION);
            this.shareConsumerConfigs = null;
            return this;
        }

        /**
         * Makes the engine a share consumer created from Kafka client settings, its share group
         * their {@code group.id}, with {@code byte[]} deserializers,
         * {@code share.acknowledgement.mode=explicit}, and {@code max.poll.records} no higher than
         * {@link EngineConfig#maxInFlight()} (a share consumer's records in flight are its last
         * poll's); see {@link #shareConsumer}.
         */
        public Builder shareConsumerConfigs(Map<String, ?> shareConsumerConfigs) {
            Objects.requireNonNull(shareConsumerConfigs, "shareConsumerConfigs must not be null");
            Map<String, Object> copy = new HashMap<>(shareConsumerConfigs);
            copy.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
            copy.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
            copy.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
            Object group = copy.get(ConsumerConfig.GROUP_ID_CONFIG);
            shareConsumer((group != null) ? group.toString() : null, () -> {
                throw new IllegalStateException("replaced when the engine is built");
            });
            this.shareConsumerConfigs = copy;
            return this;
        }

        /** Whether {@link #shareConsumer} or {@link #shareConsumerConfigs} made it a share consumer, for customizers. */
        public boolean isShareConsumer() {
            return this.share != null;
        }

        public Builder config(EngineConfig config) {
            this.config = config;
            return this;
        }

        public Builder subscription(Subscription<?, ?> subscription) {
            this.subscriptions.add(subscription);
            return this;
        }

        /** Told of every commit on the poll thread, for tests and metrics. */
        public Builder commitObserver(CommitObserver commitObserver) {
            this.commitObserver = commitObserver;
            return this;
        }

        /**
         * Runs the handlers of every subscription on this executor instead of an executor per
         * subscription (named virtual threads on 21+, else a bounded pool each). A shared executor
         * lets a subscription whose handlers block take threads that another one needs: size it
         * for the sum of the subscriptions' concurrency. The engine does not shut it down.
         */
        public Builder handlerExecutor(Executor handlerExecutor) {
            this.handlerExecutor = handlerExecutor;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the setting at fault
         */
        public AckflowEngine build() {
            if (this.share != null && this.shareConsumerConfigs != null) {
                Map<String, Object> settings = Map.copyOf(
                        ShareChecks.boundPollRecords(this.shareConsumerConfigs, this.config.maxInFlight()));
                this.share = new ShareGroup(this.share.group(), () -> new KafkaShareConsumer<>(settings,
                        new ByteArrayDeserializer(), new ByteArrayDeserializer()), this.share.lockDuration());
            }
            if (this.share != null) {
                ShareChecks.check(this.name, this.share, this.consumerFactory, this.config, this.transactionalProducer,
                        this.subscriptions);
                BuilderChecks.checkSubscriptions(this.name, this.config, this.subscriptions);
            }
            else {
                this.consumerConfigs = BuilderChecks.check(this.name, this.consumerFactory, this.consumerConfigs,
                        this.config, this.commitObserver, this.transactionalProducer, this.subscriptions);
                ShareChecks.refuseShareRecoveries(this.name, this.subscriptions);
            }
            return new AckflowEngine(new EngineParts(this.name, this.consumerFactory, this.consumerConfigs, this.config,
                    this.subscriptions, this.commitObserver, this.handlerExecutor, this.rebalanceListeners,
                    this.retryScheduler, this.metrics, this.transactionalProducer, this.share));
        }

    }

}
