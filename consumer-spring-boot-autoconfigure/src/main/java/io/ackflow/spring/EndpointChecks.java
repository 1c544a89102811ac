package io.ackflow.spring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.ConsumerFactory;

import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.failure.Recovery;

/**
 * The checks that the {@code @StreamListener} endpoints and their {@code ackflow.listeners.<id>}
 * settings pass before any engine is built: every id is unique, there is a Kafka
 * {@link ConsumerFactory} to read with, every id the settings name is a listener's, and every
 * listener that recovers with a dead letter has a producer to send it with. Each refusal says
 * what to change.
 * <p>
 * Threads: the container's thread during refresh, while the registry registers its endpoints.
 * Stateless.
 */
final class EndpointChecks {

    private EndpointChecks() {
    }

    /**
     * The endpoints by id, in no particular order.
     * @throws AckflowConfigurationException when two endpoints have one id
     */
    static Map<String, StreamListenerEndpoint> byUniqueId(List<StreamListenerEndpoint> endpoints) {
        Map<String, StreamListenerEndpoint> byId = new HashMap<>();
        for (StreamListenerEndpoint endpoint : endpoints) {
            StreamListenerEndpoint other = byId.putIfAbsent(endpoint.id(), endpoint);
            if (other != null) {
                throw new AckflowConfigurationException("Two @StreamListener methods have the id '" + endpoint.id()
                        + "': " + other.describe() + " and " + endpoint.describe() + ".",
                        "Give each of them a unique id with @StreamListener(id = \"...\").");
            }
        }
        return byId;
    }

    /**
     * The context's consumer factory, which endpoints cannot do without.
     * @throws AckflowConfigurationException when there is none
     */
    static ConsumerFactory<?, ?> requireConsumerFactory(@Nullable ConsumerFactory<?, ?> factory) {
        if (factory == null) {
            throw new AckflowConfigurationException("@StreamListener methods need a Kafka ConsumerFactory and there is none.",
                    "Add spring-boot-kafka (through io.ackflow:consumer-spring-boot-starter) or define a ConsumerFactory bean.");
        }
        return factory;
    }

    /** Every id under {@code ackflow.listeners} must be a listener's: a typo would silently keep the defaults. */
    static void checkListenerSettings(AckflowProperties properties, Set<String> listenerIds) {
        for (String id : properties.getListeners().keySet()) {
            if (!listenerIds.contains(id)) {
                throw new AckflowConfigurationException("Properties 'ackflow.listeners." + id + ".*' are set, but no"
                        + " @StreamListener method has the id '" + id + "'; the ids are " + new TreeSet<>(listenerIds) + ".",
                        "Correct the id in 'ackflow.listeners." + id + "' or remove those properties.");
            }
        }
    }

    /**
     * Batch settings of a listener that is not a batch listener would silently do nothing, and
     * exactly-once commits batch listeners do not support: both fail, naming the listener.
     */
    static void checkBatchListeners(AckflowProperties properties, EngineConfig engineConfig,
            List<StreamListenerEndpoint> endpoints) {
        for (StreamListenerEndpoint endpoint : endpoints) {
            if (!endpoint.isBatch() && BatchingMapper.isSetFor(properties, endpoint.id())) {
                throw new AckflowConfigurationException("Properties 'ackflow.listeners." + endpoint.id() + ".batch.*'"
                        + " are set, but " + endpoint.describe() + " handles one record at a time; a batch listener"
                        + " takes a List as its payload.", "Remove 'ackflow.listeners." + endpoint.id()
                                + ".batch.*', or make the payload parameter of " + endpoint.describe() + " a List.");
            }
            if (endpoint.isBatch() && engineConfig.exactlyOnce()) {
                throw new AckflowConfigurationException(endpoint.describe() + " is a batch listener (a List payload),"
                        + " which 'ackflow.processing-guarantee' exactly-once does not support.",
                        "Handle one record at a time in " + endpoint.describe() + ", or set"
                                + " 'ackflow.processing-guarantee' to at-least-once.");
            }
        }
    }

    /**
     * Every listener that recovers with a dead letter needs a producer: all of them are named at
     * once. Under exactly-once the engine's transactional producer sends them, and its own check
     * names what is missing.
     */
    static void checkDeadLettersCanBeSent(AckflowProperties properties, EngineConfig engineConfig,
            DeadLetterPublishers deadLetters, List<StreamListenerEndpoint> endpoints) {
        if (engineConfig.exactlyOnce()) {
            return;
        }
        List<String> deadLettering = new ArrayList<>();
        for (StreamListenerEndpoint endpoint : endpoints) {
            if (ErrorPolicyMapper.resolve(properties, endpoint.id()).recovery() == Recovery.DEAD_LETTER) {
                deadLettering.add(endpoint.id());
            }
        }
        deadLetters.checkCanPublishFor(deadLettering);
    }

}
