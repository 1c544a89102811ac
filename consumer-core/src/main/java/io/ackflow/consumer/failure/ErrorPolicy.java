package io.ackflow.consumer.failure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.ackflow.consumer.InvalidSettingException;

/**
 * What a subscription does when its handler fails on a record: retry with a back-off, then
 * recover ({@link Recovery#SKIP}, {@link Recovery#DEAD_LETTER} or {@link Recovery#STOP}).
 * Immutable; build one with {@link #builder()}.
 * <p>
 * A failure is retried while the back-off allows, unless it is not retryable: an exception that
 * is, or is caused by, one of the {@link Builder#notRetryable not-retryable} types goes straight to
 * recovery, and so does a record that could not be deserialized (deserializing it again gives the
 * same answer). A handler that throws {@link SkipRecordException} is neither retried nor
 * recovered: the record is released as skipped.
 * <p>
 * The default policy retries nothing and skips: the failure is logged with the record's
 * coordinates and counted, and the record is released.
 */
public final class ErrorPolicy {

    /** No retry, then {@link Recovery#SKIP}. */
    public static final ErrorPolicy DEFAULT = builder().build();

    private final RetryBackOff backOff;

    private final Recovery recovery;

    private final List<Class<? extends Throwable>> notRetryable;

    private final DeadLetterPublisher deadLetterPublisher;

    private final Duration deadLetterRetryInterval;

    private ErrorPolicy(Builder builder) {
        this.backOff = builder.backOff;
        this.recovery = builder.recovery;
        this.notRetryable = List.copyOf(builder.notRetryable);
        this.deadLetterPublisher = builder.deadLetterPublisher;
        this.deadLetterRetryInterval = builder.deadLetterRetryInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    public RetryBackOff backOff() {
        return this.backOff;
    }

    public Recovery recovery() {
        return this.recovery;
    }

    /** Exception types that are never retried (their subtypes and exceptions they cause neither). */
    public List<Class<? extends Throwable>> notRetryable() {
        return this.notRetryable;
    }

    /** Publishes dead letters; null unless the recovery is {@link Recovery#DEAD_LETTER}. */
    public DeadLetterPublisher deadLetterPublisher() {
        return this.deadLetterPublisher;
    }

    /** How long to wait before a failed dead-letter send is tried again. */
    public Duration deadLetterRetryInterval() {
        return this.deadLetterRetryInterval;
    }

    /** Whether {@code failure} may be retried: neither it nor a cause of it is of a not-retryable type. */
    public boolean isRetryable(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable current = failure; current != null && seen.put(current, Boolean.TRUE) == null;
                current = current.getCause()) {
            for (Class<? extends Throwable> type : this.notRetryable) {
                if (type.isInstance(current)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "ErrorPolicy[recovery=" + this.recovery + ", notRetryable=" + this.notRetryable + "]";
    }

    /**
     * Builds an {@link ErrorPolicy}; {@link #build()} validates it and names the setting at fault.
     */
    public static final class Builder {

        private RetryBackOff backOff = RetryBackOff.NONE;

        private Recovery recovery = Recovery.SKIP;

        private final List<Class<? extends Throwable>> notRetryable = new ArrayList<>();

        private DeadLetterPublisher deadLetterPublisher;

        private Duration deadLetterRetryInterval = Duration.ofSeconds(1);

        private Builder() {
        }

        /** Delays between attempts and when to give up; {@link RetryBackOff#NONE} by default. */
        public Builder backOff(RetryBackOff backOff) {
            this.backOff = backOff;
            return this;
        }

        public Builder recovery(Recovery recovery) {
            this.recovery = recovery;
            return this;
        }

        /** Adds exception types that go straight to recovery, without a retry. */
        @SafeVarargs
        public final Builder notRetryable(Class<? extends Throwable>... types) {
            return notRetryable(List.of(types));
        }

        /** Adds exception types that go straight to recovery, without a retry. */
        public Builder notRetryable(Collection<Class<? extends Throwable>> types) {
            for (Class<? extends Throwable> type : types) {
                this.notRetryable.add(Objects.requireNonNull(type, "notRetryable must not contain null"));
            }
            return this;
        }

        /** Needed, and only used, with {@link Recovery#DEAD_LETTER}. */
        public Builder deadLetterPublisher(DeadLetterPublisher deadLetterPublisher) {
            this.deadLetterPublisher = deadLetterPublisher;
            return this;
        }

        public Builder deadLetterRetryInterval(Duration deadLetterRetryInterval) {
            this.deadLetterRetryInterval = deadLetterRetryInterval;
            return this;
        }

        /**
         * @throws InvalidSettingException naming the setting and the value when one is invalid
         */
        public ErrorPolicy build() {
            if (this.backOff == null) {
                throw new InvalidSettingException("errorPolicy.backOff", null, "must not be null (use RetryBackOff.NONE)");
            }
            if (this.recovery == null) {
                throw new InvalidSettingException("errorPolicy.recovery", null,
                        "must be one of " + java.util.Arrays.toString(Recovery.values()));
            }
            if (this.recovery == Recovery.DEAD_LETTER && this.deadLetterPublisher == null) {
                throw new InvalidSettingException("errorPolicy.deadLetterPublisher", null,
                        "must be set when the recovery is DEAD_LETTER");
            }
            if (this.deadLetterRetryInterval == null || this.deadLetterRetryInterval.isNegative()
                    || this.deadLetterRetryInterval.isZero()) {
                throw new InvalidSettingException("errorPolicy.deadLetterRetryInterval", this.deadLetterRetryInterval,
                        "must be a positive duration");
            }
            return new ErrorPolicy(this);
        }

    }

}
