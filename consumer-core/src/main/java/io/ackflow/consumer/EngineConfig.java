package io.ackflow.consumer;

import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The engine's settings: immutable, built once with {@link #builder()} and validated by
 * {@link Builder#build()}, which names the setting and the value at fault.
 */
public final class EngineConfig {

    /** Faust's default commit interval. */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(2800);

    /** Faust's default for committing after this many acks. */
    public static final int DEFAULT_COMMIT_EVERY = 10_000;

    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofSeconds(1);

    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    public static final int DEFAULT_CONCURRENCY = 16;

    public static final int DEFAULT_HANDLER_THREADS = 64;

    /** Faust's default commit livelock soft timeout. */
    public static final Duration DEFAULT_COMMIT_LIVELOCK_SOFT_TIMEOUT = Duration.ofSeconds(300);

    /** Room for 1,000 handlers at once, as every collection copies what is in flight (docs/performance.md). */
    public static final int DEFAULT_MAX_IN_FLIGHT = 20_000;

    public static final int DEFAULT_MAX_IN_FLIGHT_PER_PARTITION = 10_000;

    public static final double DEFAULT_LOW_MARK = 0.5;

    public static final Duration DEFAULT_REBALANCE_DRAIN_TIMEOUT = Duration.ofSeconds(10);

    /** Kafka's default {@code offset.metadata.max.bytes}. */
    public static final int DEFAULT_OFFSET_MAP_MAX_BYTES = 4096;

    /** Smallest metadata limit that can hold an offset map at all. */
    public static final int MIN_OFFSET_MAP_MAX_BYTES = 16;

    private final Duration commitInterval;

    private final int commitEvery;

    private final Duration pollTimeout;

    private final Duration shutdownTimeout;

    private final int handlerThreads;

    private final boolean virtualThreads;

    private final Duration commitLivelockSoftTimeout;

    private final int maxInFlight;

    private final int maxInFlightPerPartition;

    private final double lowMark;

    private final Duration rebalanceDrainTimeout;

    private final boolean offsetMaps;

    private final int offsetMapMaxBytes;

    private final Clock clock;

    private final LongSupplier ticker;

    private final ProcessingGuarantee processingGuarantee;

    private EngineConfig(Builder builder) {
        this.commitInterval = builder.commitInterval;
        this.commitEvery = builder.commitEvery;
        this.pollTimeout = builder.pollTimeout;
        this.shutdownTimeout = builder.shutdownTimeout;
        this.handlerThreads = builder.handlerThreads;
        this.virtualThreads = builder.virtualThreads;
        this.commitLivelockSoftTimeout = builder.commitLivelockSoftTimeout;
        this.maxInFlight = builder.maxInFlight;
        this.maxInFlightPerPartition = builder.maxInFlightPerPartition;
        this.lowMark = builder.lowMark;
        this.rebalanceDrainTimeout = builder.rebalanceDrainTimeout;
        this.offsetMaps = builder.offsetMaps;
        this.offsetMapMaxBytes = builder.offsetMapMaxBytes;
        this.clock = builder.clock;
        this.ticker = builder.ticker;
        this.processingGuarantee = builder.processingGuarantee;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults throughout. */
    public static EngineConfig defaults() {
        return builder().build();
    }

    /** Longest time between two commits of acked records (default 2.8 s). */
    public Duration commitInterval() {
        return this.commitInterval;
    }

    /** Acks after which a commit is made before the interval is up (default 10,000). */
    public int commitEvery() {
        return this.commitEvery;
    }

    /** Longest single poll; the poll never runs past the next commit deadline either (default 1 s). */
    public Duration pollTimeout() {
        return this.pollTimeout;
    }

    /** How long a stop waits for dispatched records to finish before the final commit (default 30 s). */
    public Duration shutdownTimeout() {
        return this.shutdownTimeout;
    }

    /**
     * Most platform threads each subscription's handlers run on when they do not run on virtual
     * threads (default 64); a subscription uses no more than its concurrency.
     */
    public int handlerThreads() {
        return this.handlerThreads;
    }

    /** Whether handlers run on virtual threads when the JVM has them (21+); default true. */
    public boolean virtualThreads() {
        return this.virtualThreads;
    }

    /**
     * How long a partition may hold pending records without its committable offset moving before
     * it is reported as stuck (default 300 s, Faust's).
     */
    public Duration commitLivelockSoftTimeout() {
        return this.commitLivelockSoftTimeout;
    }

    /**
     * Most in-flight records of the whole engine; above it every partition is paused until the
     * count falls to the low mark (default 80,000). In flight: fetched, from the first unacked
     * record of its partition on.
     */
    public int maxInFlight() {
        return this.maxInFlight;
    }

    /** Most in-flight records of one partition; above it that partition is paused (default 20,000). */
    public int maxInFlightPerPartition() {
        return this.maxInFlightPerPartition;
    }

    /** Fraction of a bound at or below which a partition paused by flow control resumes (default 0.5). */
    public double lowMark() {
        return this.lowMark;
    }

    /**
     * How long a revoke waits for handlers still running on records of the revoked partitions
     * before it commits what is acked and lets the partitions go (default 10 s). Measured in real
     * time: it is a wait.
     */
    public Duration rebalanceDrainTimeout() {
        return this.rebalanceDrainTimeout;
    }

    /**
     * Whether commits carry the offsets acked above a gap in their metadata, so the partition's
     * next owner does not process them again (default true).
     */
    public boolean offsetMaps() {
        return this.offsetMaps;
    }

    /**
     * Longest commit metadata written (default 4096, Kafka's {@code offset.metadata.max.bytes});
     * an offset map that does not fit is left out of that commit.
     */
    public int offsetMapMaxBytes() {
        return this.offsetMapMaxBytes;
    }

    /** Wall time: commit deadlines, retry back-offs, stuck-partition ages. Tests move it. */
    public Clock clock() {
        return this.clock;
    }

    /**
     * Elapsed nanoseconds for deadlines that must pass even when the clock stands still: drains,
     * the stop, aborts, commit latencies. {@code System::nanoTime} unless a test moves it.
     */
    public LongSupplier ticker() {
        return this.ticker;
    }

    /**
     * At-least-once (the default), or exactly-once: offsets committed in the transaction of the
     * producer handlers send with, at barriers; see {@link ProcessingGuarantee}.
     */
    public ProcessingGuarantee processingGuarantee() {
        return this.processingGuarantee;
    }

    /** Whether offsets are committed in transactions. */
    public boolean exactlyOnce() {
        return this.processingGuarantee == ProcessingGuarantee.EXACTLY_ONCE;
    }

    @Override
    public String toString() {
        return "EngineConfig[commitInterval=" + this.commitInterval + ", commitEvery=" + this.commitEvery
                + ", pollTimeout=" + this.pollTimeout + ", shutdownTimeout=" + this.shutdownTimeout
                + ", handlerThreads=" + this.handlerThreads + ", virtualThreads=" + this.virtualThreads
                + ", commitLivelockSoftTimeout=" + this.commitLivelockSoftTimeout + ", maxInFlight=" + this.maxInFlight
                + ", maxInFlightPerPartition=" + this.maxInFlightPerPartition + ", lowMark=" + this.lowMark
                + ", rebalanceDrainTimeout=" + this.rebalanceDrainTimeout + ", offsetMaps=" + this.offsetMaps
                + ", offsetMapMaxBytes=" + this.offsetMapMaxBytes + ", processingGuarantee=" + this.processingGuarantee
                + "]";
    }

    /**
     * Builds an {@link EngineConfig}. Setters take any value; {@link #build()} checks them all.
     */
    public static final class Builder {

        private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;

        private int commitEvery = DEFAULT_COMMIT_EVERY;

        private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;

        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;

        private int handlerThreads = DEFAULT_HANDLER_THREADS;

        private boolean virtualThreads = true;

        private Duration commitLivelockSoftTimeout = DEFAULT_COMMIT_LIVELOCK_SOFT_TIMEOUT;

        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;

        private int maxInFlightPerPartition = DEFAULT_MAX_IN_FLIGHT_PER_PARTITION;

        private double lowMark = DEFAULT_LOW_MARK;

        private Duration rebalanceDrainTimeout = DEFAULT_REBALANCE_DRAIN_TIMEOUT;

        private boolean offsetMaps = true;

        private int offsetMapMaxBytes = DEFAULT_OFFSET_MAP_MAX_BYTES;

        private Clock clock = Clock.systemUTC();

        private LongSupplier ticker = System::nanoTime;

        private ProcessingGuarantee processingGuarantee = ProcessingGuarantee.AT_LEAST_ONCE;

        private Builder() {
        }

        public Builder commitLivelockSoftTimeout(Duration commitLivelockSoftTimeout) {
            this.commitLivelockSoftTimeout = commitLivelockSoftTimeout;
            return this;
        }

        public Builder maxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
            return this;
        }

        public Builder maxInFlightPerPartition(int maxInFlightPerPartition) {
            this.maxInFlightPerPartition = maxInFlightPerPartition;
            return this;
        }

        public Builder rebalanceDrainTimeout(Duration rebalanceDrainTimeout) {
            this.rebalanceDrainTimeout = rebalanceDrainTimeout;
            return this;
        }

        public Builder processingGuarantee(ProcessingGuarantee processingGuarantee) {
            this.processingGuarantee = processingGuarantee;
            return this;
        }

        public Builder offsetMaps(boolean offsetMaps) {
            this.offsetMaps = offsetMaps;
            return this;
        }

        public Builder offsetMapMaxBytes(int offsetMapMaxBytes) {
            this.offsetMapMaxBytes = offsetMapMaxBytes;
            return this;
        }

        public Builder lowMark(double lowMark) {
            this.lowMark = lowMark;
            return this;
        }

        public Builder commitInterval(Duration commitInterval) {
            this.commitInterval = commitInterval;
            return this;
        }

        public Builder commitEvery(int commitEvery) {
            this.commitEvery = commitEvery;
            return this;
        }

        public Builder pollTimeout(Duration pollTimeout) {
            this.pollTimeout = pollTimeout;
            return this;
        }

        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        public Builder handlerThreads(int handlerThreads) {
            this.handlerThreads = handlerThreads;
            return this;
        }

        public Builder virtualThreads(boolean virtualThreads) {
            this.virtualThreads = virtualThreads;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder ticker(LongSupplier ticker) {
            this.ticker = ticker;
            return this;
        }

        /**
         * @throws InvalidSettingException naming the setting and the value when one is invalid
         */
        public EngineConfig build() {
            positive("commitInterval", this.commitInterval);
            positive("pollTimeout", this.pollTimeout);
            notNegative("shutdownTimeout", this.shutdownTimeout);
            notNegative("rebalanceDrainTimeout", this.rebalanceDrainTimeout);
            positive("commitLivelockSoftTimeout", this.commitLivelockSoftTimeout);
            atLeastOne("commitEvery", this.commitEvery);
            atLeastOne("handlerThreads", this.handlerThreads);
            atLeastOne("maxInFlight", this.maxInFlight);
            atLeastOne("maxInFlightPerPartition", this.maxInFlightPerPartition);
            if (!(this.lowMark > 0 && this.lowMark < 1)) {
                throw new InvalidSettingException("lowMark", this.lowMark, "must be above 0 and below 1");
            }
            if (this.clock == null) {
                throw new InvalidSettingException("clock", null, "must not be null");
            }
            if (this.ticker == null) {
                throw new InvalidSettingException("ticker", null, "must not be null");
            }
            if (this.processingGuarantee == null) {
                throw new InvalidSettingException("processingGuarantee", null, "must not be null");
            }
            if (this.offsetMapMaxBytes < MIN_OFFSET_MAP_MAX_BYTES) {
                throw new InvalidSettingException("offsetMapMaxBytes", this.offsetMapMaxBytes,
                        "must be at least " + MIN_OFFSET_MAP_MAX_BYTES);
            }
            return new EngineConfig(this);
        }

        private static void atLeastOne(String name, int value) {
            if (value < 1) {
                throw new InvalidSettingException(name, value, "must be at least 1");
            }
        }

        private static void positive(String name, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new InvalidSettingException(name, value, "must be a positive duration");
            }
        }

        private static void notNegative(String name, Duration value) {
            if (value == null || value.isNegative()) {
                throw new InvalidSettingException(name, value, "must not be negative");
            }
        }

    }

}
