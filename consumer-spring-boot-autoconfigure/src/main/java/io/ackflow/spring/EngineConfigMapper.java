package io.ackflow.spring;

import java.time.Duration;
import java.util.Map;

import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.InvalidSettingException;

/**
 * The one place where {@link AckflowProperties} become the engine's {@link EngineConfig}. The
 * engine validates; a value it refuses is reported under the property's own name.
 */
final class EngineConfigMapper {

    /** Engine setting to property, for the failure message. */
    private static final Map<String, String> PROPERTIES = Map.ofEntries(
            Map.entry("commitInterval", "ackflow.commit-interval"),
            Map.entry("commitEvery", "ackflow.commit-every"),
            Map.entry("commitLivelockSoftTimeout", "ackflow.commit-livelock-soft-timeout"),
            Map.entry("shutdownTimeout", "ackflow.shutdown-timeout"),
            Map.entry("pollTimeout", "ackflow.poll-timeout"),
            Map.entry("rebalanceDrainTimeout", "ackflow.rebalance-drain-timeout"),
            Map.entry("handlerThreads", "ackflow.handler-threads"),
            Map.entry("maxInFlight", "ackflow.max-in-flight.total"),
            Map.entry("maxInFlightPerPartition", "ackflow.max-in-flight.per-partition"),
            Map.entry("lowMark", "ackflow.max-in-flight.low-mark"),
            Map.entry("offsetMapMaxBytes", "ackflow.incomplete-offsets.max-metadata-bytes"));

    private EngineConfigMapper() {
    }

    /** With Spring Boot's default shutdown phase of 30 s, for registries made without an environment. */
    static EngineConfig toEngineConfig(AckflowProperties properties) {
        return toEngineConfig(properties, ShutdownTimeouts.DEFAULT_PHASE);
    }

    /**
     * @param shutdownPhase {@code spring.lifecycle.timeout-per-shutdown-phase}, which the shutdown
     * timeout is derived from when {@code ackflow.shutdown-timeout} is not set
     */
    static EngineConfig toEngineConfig(AckflowProperties properties, Duration shutdownPhase) {
        if (properties.getConcurrency() < 1) {
            throw invalid("ackflow.concurrency", properties.getConcurrency(), "must be at least 1");
        }
        if (properties.getProcessingGuarantee() == null) {
            throw invalid("ackflow.processing-guarantee", null, "must be one of AT_LEAST_ONCE, EXACTLY_ONCE");
        }
        if (properties.getOrdering() == null) {
            throw invalid("ackflow.ordering", null, "must be one of PARTITION, KEY, UNORDERED");
        }
        try {
            return EngineConfig.builder()
                .commitInterval(properties.getCommitInterval())
                .commitEvery(properties.getCommitEvery())
                .commitLivelockSoftTimeout(properties.getCommitLivelockSoftTimeout())
                .shutdownTimeout(ShutdownTimeouts.resolve(properties.getShutdownTimeout(), shutdownPhase))
                .pollTimeout(properties.getPollTimeout())
                .rebalanceDrainTimeout(properties.getRebalanceDrainTimeout())
                .handlerThreads(properties.getHandlerThreads())
                .virtualThreads(properties.isVirtualThreads())
                .maxInFlight(properties.getMaxInFlight().getTotal())
                .maxInFlightPerPartition(properties.getMaxInFlight().getPerPartition())
                .lowMark(properties.getMaxInFlight().getLowMark())
                .offsetMaps(properties.getIncompleteOffsets().isEnabled())
                .offsetMapMaxBytes(properties.getIncompleteOffsets().getMaxMetadataBytes())
                .processingGuarantee(properties.getProcessingGuarantee())
                .build();
        }
        catch (InvalidSettingException ex) {
            String property = PROPERTIES.getOrDefault(ex.setting(), "ackflow." + ex.setting());
            throw invalid(property, ex.value(), ex.requirement());
        }
    }

    private static AckflowConfigurationException invalid(String property, Object value, String requirement) {
        return new AckflowConfigurationException("Property '" + property + "' " + requirement + ", was " + value + ".",
                "Change '" + property + "' in application.yml or application.properties: it " + requirement + ".");
    }

}
