package io.ackflow.consumer;

import java.time.Duration;

/**
 * How a batch subscription gathers its records: at most {@link #maxRecords} a batch, handed over
 * when full or when {@link #maxWait} has passed since its first record was polled, whichever comes
 * first. The wait is measured on the engine's clock ({@link EngineConfig#clock()}). Immutable.
 *
 * @param maxRecords the most records in one batch, at least 1
 * @param maxWait how long the first record of a batch waits for more, zero or more
 */
public record Batching(int maxRecords, Duration maxWait) {

    /** The default most records in one batch. */
    public static final int DEFAULT_MAX_RECORDS = 500;

    /** The default wait for a batch to fill. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(100);

    /** 500 records, 100 ms. */
    public static final Batching DEFAULT = new Batching(DEFAULT_MAX_RECORDS, DEFAULT_MAX_WAIT);

    /** The same as the canonical constructor, for reading. */
    public static Batching of(int maxRecords, Duration maxWait) {
        return new Batching(maxRecords, maxWait);
    }

    /**
     * Checks the settings of subscription {@code subscriptionId}.
     * @throws InvalidSettingException naming the setting at fault
     */
    void validate(String subscriptionId) {
        if (this.maxRecords < 1) {
            throw new InvalidSettingException(subscriptionId, "batch.maxRecords", this.maxRecords, "must be at least 1");
        }
        if (this.maxWait == null || this.maxWait.isNegative()) {
            throw new InvalidSettingException(subscriptionId, "batch.maxWait", this.maxWait,
                    "must be zero or positive");
        }
    }

}
