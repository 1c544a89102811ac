package io.ackflow.spring;

import java.time.Duration;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.Batching;

/**
 * The one place where {@code ackflow.batch} and {@code ackflow.listeners.<id>.batch} become a batch
 * listener's {@link Batching}: each value from the listener's settings, else the global ones, else
 * the default (500 records, 100 ms). A bad value is reported under the property it came from.
 */
final class BatchingMapper {

    private BatchingMapper() {
    }

    /**
     * The batching of listener {@code listenerId}.
     * @throws AckflowConfigurationException naming the property at fault
     */
    static Batching resolve(AckflowProperties properties, String listenerId) {
        AckflowProperties.Listener listener = properties.getListeners().get(listenerId);
        AckflowProperties.Batch own = (listener != null) ? listener.getBatch() : null;
        AckflowProperties.Batch global = properties.getBatch();
        int maxRecords = pick(own, global, AckflowProperties.Batch::getMaxRecords, Batching.DEFAULT_MAX_RECORDS);
        Duration maxWait = pick(own, global, AckflowProperties.Batch::getMaxWait, Batching.DEFAULT_MAX_WAIT);
        if (maxRecords < 1) {
            throw invalid(own, listenerId, "max-records", AckflowProperties.Batch::getMaxRecords, maxRecords,
                    "must be at least 1");
        }
        if (maxWait.isNegative()) {
            throw invalid(own, listenerId, "max-wait", AckflowProperties.Batch::getMaxWait, maxWait,
                    "must not be negative");
        }
        return Batching.of(maxRecords, maxWait);
    }

    /** Whether {@code ackflow.listeners.<id>.batch} sets anything. */
    static boolean isSetFor(AckflowProperties properties, String listenerId) {
        AckflowProperties.Listener listener = properties.getListeners().get(listenerId);
        return listener != null
                && (listener.getBatch().getMaxRecords() != null || listener.getBatch().getMaxWait() != null);
    }

    private static <T> T pick(AckflowProperties.@Nullable Batch own, AckflowProperties.Batch global,
            Function<AckflowProperties.Batch, @Nullable T> getter, T fallback) {
        T value = (own != null) ? getter.apply(own) : null;
        if (value == null) {
            value = getter.apply(global);
        }
        return (value != null) ? value : fallback;
    }

    private static AckflowConfigurationException invalid(AckflowProperties.@Nullable Batch own, String listenerId,
            String property, Function<AckflowProperties.Batch, @Nullable Object> getter, Object value,
            String requirement) {
        String name = (own != null && getter.apply(own) != null) ? "ackflow.listeners." + listenerId + ".batch." + property
                : "ackflow.batch." + property;
        return new AckflowConfigurationException("Property '" + name + "' " + requirement + ", was " + value + ".",
                "Change '" + name + "' in application.yml or application.properties: it " + requirement + ".");
    }

}
