package io.ackflow.spring;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;
import org.springframework.util.backoff.FixedBackOff;

import io.ackflow.consumer.failure.DeadLetterPublisher;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;

/**
 * The one place where {@code ackflow.errors} and {@code ackflow.listeners.<id>.errors} become a
 * listener's {@link ErrorPolicy}: each value from the listener's settings, else the global ones,
 * else the default. Retries use Spring's {@link FixedBackOff} or {@link ExponentialBackOff}. A bad
 * value is reported under the property it came from.
 */
final class ErrorPolicyMapper {

    static final int DEFAULT_ATTEMPTS = 1;

    static final Duration DEFAULT_DELAY = Duration.ofSeconds(1);

    static final double DEFAULT_MULTIPLIER = 1.0;

    static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);

    static final String DEFAULT_DEAD_LETTER_TOPIC = "{topic}.DLT";

    static final Duration DEFAULT_DEAD_LETTER_RETRY_INTERVAL = Duration.ofSeconds(1);

    /**
     * Failures that give the same answer on every attempt, never retried, as spring-kafka's
     * {@code DefaultErrorHandler} classifies them: the record cannot become the method's arguments,
     * or a deserializer refused it.
     */
    static final List<Class<? extends Throwable>> NOT_RETRYABLE = List.of(ListenerArgumentException.class,
            org.springframework.messaging.handler.invocation.MethodArgumentResolutionException.class,
            org.springframework.messaging.converter.MessageConversionException.class,
            org.springframework.core.convert.ConversionException.class,
            org.springframework.kafka.support.serializer.DeserializationException.class,
            NoSuchMethodException.class, ClassCastException.class);

    private ErrorPolicyMapper() {
    }

    /**
     * The settings of listener {@code listenerId}, or the global ones alone when it is null,
     * validated.
     * @throws AckflowConfigurationException naming the property at fault
     */
    static Resolved resolve(AckflowProperties properties, @Nullable String listenerId) {
        AckflowProperties.Listener listener = (listenerId != null) ? properties.getListeners().get(listenerId) : null;
        Settings settings = new Settings(properties.getErrors(), (listener != null) ? listener.getErrors() : null,
                listenerId);
        Value<Integer> attempts = settings.pick((e) -> e.getRetry().getAttempts(), DEFAULT_ATTEMPTS);
        Value<Duration> delay = settings.pick((e) -> e.getRetry().getDelay(), DEFAULT_DELAY);
        Value<Double> multiplier = settings.pick((e) -> e.getRetry().getMultiplier(), DEFAULT_MULTIPLIER);
        Value<Duration> maxDelay = settings.pick((e) -> e.getRetry().getMaxDelay(), DEFAULT_MAX_DELAY);
        Value<Recovery> recovery = settings.pick(AckflowProperties.Errors::getRecovery, Recovery.SKIP);
        Value<List<Class<? extends Throwable>>> notRetryable = settings.pick(AckflowProperties.Errors::getNotRetryable,
                List.of());
        Value<String> topic = settings.pick((e) -> e.getDeadLetter().getTopic(), DEFAULT_DEAD_LETTER_TOPIC);
        Value<Duration> retryInterval = settings.pick((e) -> e.getDeadLetter().getRetryInterval(),
                DEFAULT_DEAD_LETTER_RETRY_INTERVAL);

        if (attempts.value() < 1) {
            throw settings.invalid("retry.attempts", attempts, "must be at least 1 (1 means no retry)");
        }
        if (delay.value().isNegative()) {
            throw settings.invalid("retry.delay", delay, "must not be negative");
        }
        if (!(multiplier.value() >= 1.0)) {
            throw settings.invalid("retry.multiplier", multiplier, "must be at least 1");
        }
        boolean exponential = multiplier.value() != 1.0;
        if (exponential && maxDelay.value().compareTo(delay.value()) < 0) {
            // Only a growing back-off has a cap; and a cap left at its default follows a longer delay.
            if (!maxDelay.set()) {
                maxDelay = new Value<>(delay.value(), false, false);
            }
            else {
                throw settings.invalid("retry.max-delay", maxDelay, "must be at least the retry delay (" + delay.value() + ")");
            }
        }
        if (topic.value().isBlank()) {
            throw settings.invalid("dead-letter.topic", topic, "must name a topic");
        }
        if (retryInterval.value().isNegative() || retryInterval.value().isZero()) {
            throw settings.invalid("dead-letter.retry-interval", retryInterval, "must be a positive duration");
        }
        return new Resolved(backOff(attempts.value(), delay.value(), multiplier.value(), maxDelay.value()),
                recovery.value(), notRetryable.value(), topic.value(), retryInterval.value());
    }

    /**
     * A listener's validated error settings.
     * @param backOff Spring's back-off for the retries
     * @param deadLetterTopic the dead-letter topic template, {@code {topic}} standing for the record's topic
     */
    record Resolved(BackOff backOff, Recovery recovery, List<Class<? extends Throwable>> notRetryable,
            String deadLetterTopic, Duration deadLetterRetryInterval) {

        /**
         * The engine's policy; {@code deadLetters} makes the publisher for the dead-letter topic
         * template and is asked only when the recovery is a dead letter.
         */
        ErrorPolicy toErrorPolicy(Function<String, DeadLetterPublisher> deadLetters) {
            ErrorPolicy.Builder policy = ErrorPolicy.builder()
                .backOff(adapt(this.backOff))
                .recovery(this.recovery)
                .notRetryable(NOT_RETRYABLE)
                .notRetryable(this.notRetryable)
                .deadLetterRetryInterval(this.deadLetterRetryInterval);
            if (this.recovery == Recovery.DEAD_LETTER) {
                policy.deadLetterPublisher(deadLetters.apply(this.deadLetterTopic));
            }
            return policy.build();
        }

    }

    /** Spring's back-off for {@code attempts} attempts: fixed when the multiplier is 1, else exponential. */
    static BackOff backOff(int attempts, Duration delay, double multiplier, Duration maxDelay) {
        int retries = attempts - 1;
        if (multiplier == 1.0) {
            return new FixedBackOff(delay.toMillis(), retries);
        }
        ExponentialBackOff exponential = new ExponentialBackOff(delay.toMillis(), multiplier);
        exponential.setMaxInterval(maxDelay.toMillis());
        exponential.setMaxAttempts(retries);
        return exponential;
    }

    /** The engine's view of a Spring {@link BackOff}: one execution per failed record. */
    static RetryBackOff adapt(BackOff backOff) {
        return () -> {
            BackOffExecution execution = backOff.start();
            return () -> {
                long next = execution.nextBackOff();
                return (next == BackOffExecution.STOP) ? RetryBackOff.STOP : next;
            };
        };
    }

    /**
     * A setting's value, whether the listener's own settings gave it, and whether any level did
     * (false: the built-in default).
     */
    private record Value<T>(T value, boolean fromListener, boolean set) {
    }

    /** The global and the listener's settings. */
    private record Settings(AckflowProperties.Errors global, AckflowProperties.@Nullable Errors listener,
            @Nullable String listenerId) {

        <T> Value<T> pick(Function<AckflowProperties.Errors, @Nullable T> getter, T fallback) {
            T own = (this.listener != null) ? getter.apply(this.listener) : null;
            if (own != null) {
                return new Value<>(own, true, true);
            }
            T global = getter.apply(this.global);
            return new Value<>((global != null) ? global : fallback, false, global != null);
        }

        AckflowConfigurationException invalid(String property, Value<?> value, String requirement) {
            String name = value.fromListener() ? "ackflow.listeners." + this.listenerId + ".errors." + property
                    : "ackflow.errors." + property;
            Object shown = (value.value() instanceof String text) ? "'" + text + "'" : value.value();
            return new AckflowConfigurationException("Property '" + name + "' " + requirement + ", was " + shown + ".",
                    "Change '" + name + "' in application.yml or application.properties: it " + requirement + ".");
        }

    }

}
