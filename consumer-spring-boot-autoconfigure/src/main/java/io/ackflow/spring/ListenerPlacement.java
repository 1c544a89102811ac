package io.ackflow.spring;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.ConsumerFactory;

/**
 * Which Ackflow consumer runs each listener: the one whose
 * {@code ackflow.consumers.<name>.listeners} names it, else the {@link #DEFAULT_CONSUMER default
 * consumer}. Refuses an id that is no listener's, a listener placed on two consumers, and two
 * consumers in one group that read one topic.
 * <p>
 * Threads: made and read on the container's thread during refresh, while the registry registers
 * its endpoints; immutable.
 */
final class ListenerPlacement {

    /** Name of the consumer of listeners that {@code ackflow.consumers} does not place elsewhere. */
    static final String DEFAULT_CONSUMER = "ackflow";

    private final AckflowProperties properties;

    /** Listener id to consumer name, for the listeners placed on a named consumer. */
    private final Map<String, String> consumerOf;

    private ListenerPlacement(AckflowProperties properties, Map<String, String> consumerOf) {
        this.properties = properties;
        this.consumerOf = Map.copyOf(consumerOf);
    }

    /**
     * The placement that {@code ackflow.consumers.<name>.listeners} asks for.
     * @param listenerIds the ids of every listener
     * @throws AckflowConfigurationException when a placed id is no listener's, or a listener is on two consumers
     */
    static ListenerPlacement of(AckflowProperties properties, Set<String> listenerIds) {
        Map<String, String> consumerOf = new HashMap<>();
        properties.getConsumers().forEach((name, settings) -> {
            for (String id : settings.getListeners()) {
                String property = "ackflow.consumers." + name + ".listeners";
                if (!listenerIds.contains(id)) {
                    throw new AckflowConfigurationException("Property '" + property + "' names the listener '" + id
                            + "', but no @StreamListener method has that id; the ids are " + new TreeSet<>(listenerIds)
                            + ".", "Correct the id in '" + property + "' or remove it.");
                }
                String earlier = consumerOf.putIfAbsent(id, name);
                if (earlier != null) {
                    throw new AckflowConfigurationException("The listener '" + id + "' is placed on two consumers, '"
                            + earlier + "' and '" + name + "'.", "Name it under one of ackflow.consumers.<name>.listeners only.");
                }
            }
        });
        return new ListenerPlacement(properties, consumerOf);
    }

    /** The name of the consumer that runs {@code endpoint}. */
    String consumerOf(StreamListenerEndpoint endpoint) {
        return this.consumerOf.getOrDefault(endpoint.id(), DEFAULT_CONSUMER);
    }

    /** The group that {@code ackflow.consumers.<name>.group-id} gives the consumer, as written; null when none. */
    @Nullable String groupIdOf(String consumer) {
        AckflowProperties.Consumer settings = this.properties.getConsumers().get(consumer);
        return (settings != null) ? settings.getGroupId() : null;
    }

    /** Whether {@code ackflow.consumers.<name>.group-type} makes the consumer a share consumer. */
    boolean isShare(String consumer) {
        AckflowProperties.Consumer settings = this.properties.getConsumers().get(consumer);
        return settings != null && settings.getGroupType() == AckflowProperties.GroupType.SHARE;
    }

    /**
     * Two consumers in one group that read one topic would split its partitions between them:
     * each handler would see only part of the records. Refused.
     */
    void checkGroupsDoNotShareTopics(List<StreamListenerEndpoint> endpoints, ConsumerFactory<?, ?> factory) {
        Object baseGroup = factory.getConfigurationProperties().get(ConsumerConfig.GROUP_ID_CONFIG);
        Map<String, String> groupOf = new HashMap<>();
        Map<String, String> consumerOfGroupTopic = new HashMap<>();
        for (StreamListenerEndpoint endpoint : endpoints) {
            String consumer = consumerOf(endpoint);
            String group = groupOf.computeIfAbsent(consumer, (name) -> {
                String own = groupIdOf(name);
                if (own != null && !own.isBlank()) {
                    return own;
                }
                return DEFAULT_CONSUMER.equals(name) ? String.valueOf(baseGroup) : baseGroup + "-" + name;
            });
            for (String topic : endpoint.topics()) {
                String other = consumerOfGroupTopic.putIfAbsent(group + "\u0000" + topic, consumer);
                if (other != null && !other.equals(consumer)) {
                    throw new AckflowConfigurationException("The Ackflow consumers '" + other + "' and '" + consumer
                            + "' are both in the group '" + group + "' and both read the topic '" + topic
                            + "': they would split its partitions, and each handler would see only part of the records.",
                            "Give the consumer '" + consumer + "' a group of its own with ackflow.consumers." + consumer
                                    + ".group-id (or leave it out: a named consumer defaults to <group>-<name>).");
                }
            }
        }
    }

}
