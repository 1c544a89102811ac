package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.ProcessingGuarantee;
import io.ackflow.consumer.failure.Recovery;

/**
 * Configuration properties of Ackflow. Kafka client settings (bootstrap servers, group id, SSL,
 * SASL, ...) stay under Spring Boot's {@code spring.kafka.*}.
 */
@ConfigurationProperties("ackflow")
public class AckflowProperties {

    /**
     * Longest time between two commits of acked records.
     */
    private Duration commitInterval = Duration.ofMillis(2800);

    /**
     * Number of acked records after which a commit is made before the commit interval is up.
     */
    private int commitEvery = 10_000;

    /**
     * How long a handler may hold the first unacked record of a partition before the partition
     * is reported as stuck (a WARN naming the partition, offset, handlers and thread).
     */
    private Duration commitLivelockSoftTimeout = Duration.ofSeconds(300);

    /**
     * How long a shutdown waits for the handlers already running before the final commit (queued
     * records are not started; they are read again on the next start). When
     * not set, spring.lifecycle.timeout-per-shutdown-phase (30s by default) less 5s for the final
     * commit and close, or half of that phase when it is under 10s, so that the whole stop fits
     * in Spring Boot's shutdown phase.
     */
    private @Nullable Duration shutdownTimeout;

    /**
     * How long a rebalance waits for handlers still running on records of the revoked
     * partitions before it commits what is acked and lets them go.
     */
    private Duration rebalanceDrainTimeout = Duration.ofSeconds(10);

    /**
     * Longest single poll of the consumer; a poll never runs past the next commit deadline
     * either.
     */
    private Duration pollTimeout = Duration.ofSeconds(1);

    /**
     * Ordering of @StreamListener methods that do not set their own.
     */
    private Ordering ordering = Ordering.PARTITION;

    /**
     * What the consumers promise about processing: AT_LEAST_ONCE (offsets committed once every
     * handler released its record), or EXACTLY_ONCE (what handlers send through the application's
     * KafkaTemplate and the consumed offsets are committed in one Kafka transaction; needs
     * spring.kafka.producer.transaction-id-prefix, unique to each instance).
     */
    private ProcessingGuarantee processingGuarantee = ProcessingGuarantee.AT_LEAST_ONCE;

    /**
     * Concurrency of @StreamListener methods that do not set their own: the most records one
     * handler processes at once (for a batch listener, the most batches).
     */
    private int concurrency = 16;

    /**
     * Whether the consumer starts with the application context.
     */
    private boolean autoStartup = true;

    /**
     * Most platform threads each listener's handlers run on when the JVM has no virtual threads
     * (before Java 21) or virtual threads are turned off. Each listener has threads of its own,
     * no more than its concurrency.
     */
    private int handlerThreads = 64;

    /**
     * Whether handlers run on virtual threads when the JVM has them (Java 21+).
     */
    private boolean virtualThreads = true;

    /**
     * Whether each record a @StreamListener method handles is observed with Micrometer: a
     * receiver observation with spring-kafka's listener name and tags, in the trace of the
     * record's headers, current while the method runs. Unset: follows
     * spring.kafka.listener.observation-enabled.
     */
    private @Nullable Boolean observationEnabled;

    private final MaxInFlight maxInFlight = new MaxInFlight();

    private final IncompleteOffsets incompleteOffsets = new IncompleteOffsets();

    private final Health health = new Health();

    /**
     * What @StreamListener methods do when they fail on a record, unless
     * ackflow.listeners.<id>.errors says otherwise.
     */
    private final Errors errors = new Errors();

    /**
     * How batch @StreamListener methods (a List payload) gather their records, unless
     * ackflow.listeners.<id>.batch says otherwise.
     */
    private final Batch batch = new Batch();

    /**
     * Settings of single @StreamListener methods, by listener id.
     */
    private final Map<String, Listener> listeners = new LinkedHashMap<>();

    /**
     * Extra consumers, by name. All @StreamListener methods share one consumer unless listed
     * here: each named consumer runs the listeners it lists on a consumer (and poll thread) of
     * its own.
     */
    private final Map<String, Consumer> consumers = new LinkedHashMap<>();

    public Duration getCommitInterval() {
        return this.commitInterval;
    }

    public void setCommitInterval(Duration commitInterval) {
        this.commitInterval = commitInterval;
    }

    public int getCommitEvery() {
        return this.commitEvery;
    }

    public void setCommitEvery(int commitEvery) {
        this.commitEvery = commitEvery;
    }

    public Duration getCommitLivelockSoftTimeout() {
        return this.commitLivelockSoftTimeout;
    }

    public void setCommitLivelockSoftTimeout(Duration commitLivelockSoftTimeout) {
        this.commitLivelockSoftTimeout = commitLivelockSoftTimeout;
    }

    public @Nullable Duration getShutdownTimeout() {
        return this.shutdownTimeout;
    }

    public void setShutdownTimeout(@Nullable Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public Duration getRebalanceDrainTimeout() {
        return this.rebalanceDrainTimeout;
    }

    public void setRebalanceDrainTimeout(Duration rebalanceDrainTimeout) {
        this.rebalanceDrainTimeout = rebalanceDrainTimeout;
    }

    public Duration getPollTimeout() {
        return this.pollTimeout;
    }

    public void setPollTimeout(Duration pollTimeout) {
        this.pollTimeout = pollTimeout;
    }

    public ProcessingGuarantee getProcessingGuarantee() {
        return this.processingGuarantee;
    }

    public void setProcessingGuarantee(ProcessingGuarantee processingGuarantee) {
        this.processingGuarantee = processingGuarantee;
    }

    public Ordering getOrdering() {
        return this.ordering;
    }

    public void setOrdering(Ordering ordering) {
        this.ordering = ordering;
    }

    public int getConcurrency() {
        return this.concurrency;
    }

    public void setConcurrency(int concurrency) {
        this.concurrency = concurrency;
    }

    public boolean isAutoStartup() {
        return this.autoStartup;
    }

    public void setAutoStartup(boolean autoStartup) {
        this.autoStartup = autoStartup;
    }

    public int getHandlerThreads() {
        return this.handlerThreads;
    }

    public void setHandlerThreads(int handlerThreads) {
        this.handlerThreads = handlerThreads;
    }

    public boolean isVirtualThreads() {
        return this.virtualThreads;
    }

    public void setVirtualThreads(boolean virtualThreads) {
        this.virtualThreads = virtualThreads;
    }

    public @Nullable Boolean getObservationEnabled() {
        return this.observationEnabled;
    }

    public void setObservationEnabled(@Nullable Boolean observationEnabled) {
        this.observationEnabled = observationEnabled;
    }

    public MaxInFlight getMaxInFlight() {
        return this.maxInFlight;
    }

    public Map<String, Consumer> getConsumers() {
        return this.consumers;
    }

    public Errors getErrors() {
        return this.errors;
    }

    public IncompleteOffsets getIncompleteOffsets() {
        return this.incompleteOffsets;
    }

    public Health getHealth() {
        return this.health;
    }

    /**
     * When the ackflow health indicator reports a consumer DOWN for a lack of progress, besides
     * a consumer that failed and a partition stuck past commit-livelock-soft-timeout.
     */
    public static class Health {

        /**
         * How long the poll thread may stay away from poll (held in a rebalance listener or a
         * commit, for example) before the consumer is DOWN. When not set, the consumer's
         * max.poll.interval.ms (5m unless set), past which Kafka hands its partitions to other
         * members.
         */
        private @Nullable Duration pollStallTimeout;

        /**
         * Number of commit intervals for which commits may keep failing (no commit of a
         * partition succeeding since its first failure) before the consumer is DOWN.
         */
        private int commitFailureIntervals = 10;

        /**
         * How long the consumer may go without sending a heartbeat to its group coordinator
         * (which it sends only while it can reach it) before it is DOWN. When not set, the
         * consumer's session.timeout.ms (45s unless set); under group.protocol=consumer, where
         * the session timeout is the broker's group.consumer.session.timeout.ms, 45s, that
         * setting's default.
         */
        private @Nullable Duration coordinatorTimeout;

        public @Nullable Duration getPollStallTimeout() {
            return this.pollStallTimeout;
        }

        public void setPollStallTimeout(@Nullable Duration pollStallTimeout) {
            this.pollStallTimeout = pollStallTimeout;
        }

        public int getCommitFailureIntervals() {
            return this.commitFailureIntervals;
        }

        public void setCommitFailureIntervals(int commitFailureIntervals) {
            this.commitFailureIntervals = commitFailureIntervals;
        }

        public @Nullable Duration getCoordinatorTimeout() {
            return this.coordinatorTimeout;
        }

        public void setCoordinatorTimeout(@Nullable Duration coordinatorTimeout) {
            this.coordinatorTimeout = coordinatorTimeout;
        }

    }

    /**
     * Records acked above a partition's first unacked one ("incomplete offsets"): written into
     * each commit's metadata so that the partition's next owner, after a rebalance or a restart,
     * skips them instead of processing them again.
     */
    public static class IncompleteOffsets {

        /**
         * Whether commits carry the acked offsets above a gap, and new owners skip them.
         */
        private boolean enabled = true;

        /**
         * Longest commit metadata written; keep it at or below the brokers'
         * offset.metadata.max.bytes. A map that does not fit is left out of that commit (plain
         * at-least-once for it) and counted.
         */
        private int maxMetadataBytes = 4096;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getMaxMetadataBytes() {
            return this.maxMetadataBytes;
        }

        public void setMaxMetadataBytes(int maxMetadataBytes) {
            this.maxMetadataBytes = maxMetadataBytes;
        }

    }

    public Map<String, Listener> getListeners() {
        return this.listeners;
    }

    public Batch getBatch() {
        return this.batch;
    }

    /**
     * Settings of one @StreamListener method.
     */
    public static class Listener {

        /**
         * What this listener does when it fails on a record; a value left out is taken from
         * ackflow.errors.
         */
        private final Errors errors = new Errors();

        /**
         * How this listener, when it is a batch listener, gathers its records; a value left out
         * is taken from ackflow.batch.
         */
        private final Batch batch = new Batch();

        public Errors getErrors() {
            return this.errors;
        }

        public Batch getBatch() {
            return this.batch;
        }

    }

    /**
     * How a batch @StreamListener method gathers its records: a batch is handed over when it holds
     * max-records records or when max-wait has passed since its first record, whichever comes
     * first. Each value left out keeps its default: for a listener, the value of ackflow.batch;
     * there, the default named here.
     */
    public static class Batch {

        /**
         * Most records in one batch. Default: 500.
         */
        private @Nullable Integer maxRecords;

        /**
         * How long the first record of a batch waits for more before the batch is handed over
         * anyway. Default: 100ms.
         */
        private @Nullable Duration maxWait;

        public @Nullable Integer getMaxRecords() {
            return this.maxRecords;
        }

        public void setMaxRecords(@Nullable Integer maxRecords) {
            this.maxRecords = maxRecords;
        }

        public @Nullable Duration getMaxWait() {
            return this.maxWait;
        }

        public void setMaxWait(@Nullable Duration maxWait) {
            this.maxWait = maxWait;
        }

    }

    /**
     * Retries and recovery of records a handler failed on. Each value left out keeps its
     * default: for a listener, the value of ackflow.errors; there, the default named here.
     */
    public static class Errors {

        /**
         * What happens to a record once its retries are over: skip (log, count and release it;
         * the default), dead-letter (publish its raw bytes to the dead-letter topic, release it
         * once the broker acknowledged the send) or stop (stop the consumer; the record is not
         * committed and is read again after a restart).
         */
        private @Nullable Recovery recovery;

        /**
         * Exception types that are never retried and go straight to the recovery (also when
         * they are the cause of the exception thrown). A listener's list replaces the global one.
         */
        private @Nullable List<Class<? extends Throwable>> notRetryable;

        private final Retry retry = new Retry();

        private final DeadLetter deadLetter = new DeadLetter();

        public @Nullable Recovery getRecovery() {
            return this.recovery;
        }

        public void setRecovery(@Nullable Recovery recovery) {
            this.recovery = recovery;
        }

        public @Nullable List<Class<? extends Throwable>> getNotRetryable() {
            return this.notRetryable;
        }

        public void setNotRetryable(@Nullable List<Class<? extends Throwable>> notRetryable) {
            this.notRetryable = notRetryable;
        }

        public Retry getRetry() {
            return this.retry;
        }

        public DeadLetter getDeadLetter() {
            return this.deadLetter;
        }

    }

    /**
     * Retries of a failed handler. A retry waits without holding a thread and holds back only
     * what the listener's ordering must: its partition (PARTITION), its key (KEY) or nothing
     * (UNORDERED).
     */
    public static class Retry {

        /**
         * Attempts per record, the first one included; 1 (the default) means no retry.
         */
        private @Nullable Integer attempts;

        /**
         * Wait before the first retry (default 1s).
         */
        private @Nullable Duration delay;

        /**
         * Factor applied to the wait after each retry; 1 (the default) waits the same each time.
         */
        private @Nullable Double multiplier;

        /**
         * Longest wait between two attempts (default 30s).
         */
        private @Nullable Duration maxDelay;

        public @Nullable Integer getAttempts() {
            return this.attempts;
        }

        public void setAttempts(@Nullable Integer attempts) {
            this.attempts = attempts;
        }

        public @Nullable Duration getDelay() {
            return this.delay;
        }

        public void setDelay(@Nullable Duration delay) {
            this.delay = delay;
        }

        public @Nullable Double getMultiplier() {
            return this.multiplier;
        }

        public void setMultiplier(@Nullable Double multiplier) {
            this.multiplier = multiplier;
        }

        public @Nullable Duration getMaxDelay() {
            return this.maxDelay;
        }

        public void setMaxDelay(@Nullable Duration maxDelay) {
            this.maxDelay = maxDelay;
        }

    }

    /**
     * Where dead letters go.
     */
    public static class DeadLetter {

        /**
         * Dead-letter topic; "{topic}" stands for the record's topic (default "{topic}.DLT").
         * The producer picks the partition from the record's key.
         */
        private @Nullable String topic;

        /**
         * Wait before a failed dead-letter send is tried again (default 1s); the record stays
         * unreleased, so uncommitted, until a send succeeds.
         */
        private @Nullable Duration retryInterval;

        public @Nullable String getTopic() {
            return this.topic;
        }

        public void setTopic(@Nullable String topic) {
            this.topic = topic;
        }

        public @Nullable Duration getRetryInterval() {
            return this.retryInterval;
        }

        public void setRetryInterval(@Nullable Duration retryInterval) {
            this.retryInterval = retryInterval;
        }

    }

    /**
     * A consumer of its own for some listeners.
     */
    public static class Consumer {

        /**
         * Ids of the @StreamListener methods that run on this consumer.
         */
        private List<String> listeners = new ArrayList<>();

        /**
         * Consumer group of this consumer; defaults to the spring.kafka.consumer.group-id value
         * followed by "-" and the consumer's name.
         */
        private String groupId;

        /**
         * Kind of group this consumer joins: "consumer" (a consumer group: partitions assigned,
         * offsets committed) or "share" (a share group, Kafka 4.2+: records handed out one by one
         * and acknowledged each; its listeners run UNORDERED and may recover with "release" or
         * "reject").
         */
        private GroupType groupType = GroupType.CONSUMER;

        public GroupType getGroupType() {
            return this.groupType;
        }

        public void setGroupType(GroupType groupType) {
            this.groupType = groupType;
        }

        public List<String> getListeners() {
            return this.listeners;
        }

        public void setListeners(List<String> listeners) {
            this.listeners = listeners;
        }

        public String getGroupId() {
            return this.groupId;
        }

        public void setGroupId(String groupId) {
            this.groupId = groupId;
        }

    }

    /**
     * Kind of group an Ackflow consumer joins.
     */
    public enum GroupType {

        /** A consumer group: partitions are assigned, offsets committed. */
        CONSUMER,

        /** A share group (KIP-932): records are handed out one by one and acknowledged each. */
        SHARE

    }

    /**
     * Bounds on in-flight records: fetched records from the first unacked one of their
     * partition on. Over a bound, partitions are paused (the consumer keeps polling, so it stays
     * in its group) until they are down to the low mark.
     */
    public static class MaxInFlight {

        /**
         * Most in-flight records of the whole consumer; above it every partition is paused.
         */
        private int total = 20_000;

        /**
         * Most in-flight records of one partition; above it that partition is paused.
         */
        private int perPartition = 10_000;

        /**
         * Fraction of a bound (above 0, below 1) at or below which paused partitions resume.
         */
        private double lowMark = 0.5;

        public int getTotal() {
            return this.total;
        }

        public void setTotal(int total) {
            this.total = total;
        }

        public int getPerPartition() {
            return this.perPartition;
        }

        public void setPerPartition(int perPartition) {
            this.perPartition = perPartition;
        }

        public double getLowMark() {
            return this.lowMark;
        }

        public void setLowMark(double lowMark) {
            this.lowMark = lowMark;
        }

    }

}
