package io.ackflow.consumer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerConfig;

import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * What {@link AckflowEngine.Builder#build()} refuses, each with a message that names the setting
 * and says why: no name or consumer, {@code enable.auto.commit=true}, a guarantee without its
 * producer (or a producer without its guarantee), no subscription, a subscription id used twice,
 * a topic with more subscriptions than a record can count.
 * <p>
 * Threads: the builder's.
 */
final class BuilderChecks {

    private BuilderChecks() {
    }

    /**
     * @return the consumer settings to create the consumer with ({@code enable.auto.commit=false}
     *         added when they are given), or the empty map with a factory
     * @throws IllegalArgumentException naming what is wrong
     */
    static Map<String, Object> check(String name, Supplier<?> consumerFactory, Map<String, Object> consumerConfigs,
            EngineConfig config, CommitObserver commitObserver, Object transactionalProducer,
            List<Subscription<?, ?>> subscriptions) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, was '" + name + "'");
        }
        if (consumerFactory == null) {
            throw new IllegalArgumentException("Engine '" + name + "': consumerFactory must be set (or consumerConfigs)");
        }
        Map<String, Object> configs = consumerConfigs;
        if (!consumerConfigs.isEmpty()) {
            Object autoCommit = consumerConfigs.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
            if (autoCommit != null && "true".equalsIgnoreCase(autoCommit.toString().trim())) {
                throw new IllegalArgumentException("Engine '" + name + "': consumerConfigs set "
                        + ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG + "=true, but the engine commits offsets itself,"
                        + " each partition only up to its first record not yet released by every subscription;"
                        + " auto-commit would commit records still in progress, and lose them if the process"
                        + " stops. Leave " + ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG + " out or set it to false.");
            }
            Map<String, Object> checked = new HashMap<>(consumerConfigs);
            checked.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            configs = Map.copyOf(checked);
        }
        Objects.requireNonNull(config, "config must not be null");
        Objects.requireNonNull(commitObserver, "commitObserver must not be null");
        if (config.exactlyOnce() && transactionalProducer == null) {
            throw new IllegalArgumentException("Engine '" + name + "': processingGuarantee EXACTLY_ONCE needs a"
                    + " transactionalProducer to commit offsets in its transactions");
        }
        if (!config.exactlyOnce() && transactionalProducer != null) {
            throw new IllegalArgumentException("Engine '" + name + "': a transactionalProducer is set, but the"
                    + " processingGuarantee is " + config.processingGuarantee()
                    + "; set it to EXACTLY_ONCE for offsets to be committed in its transactions");
        }
        checkSubscriptions(name, config, subscriptions);
        return configs;
    }

    /**
     * Refuses no subscription, an id used twice, a batch handler under exactly-once and a topic
     * with more subscriptions than a record can count.
     * @throws IllegalArgumentException naming what is wrong
     */
    static void checkSubscriptions(String name, EngineConfig config, List<Subscription<?, ?>> subscriptions) {
        if (subscriptions.isEmpty()) {
            throw new IllegalArgumentException("Engine '" + name + "': at least one subscription is needed");
        }
        Set<String> ids = new HashSet<>();
        for (Subscription<?, ?> subscription : subscriptions) {
            if (!ids.add(subscription.id())) {
                throw new IllegalArgumentException("Engine '" + name + "': subscription id '"
                        + subscription.id() + "' is used twice; ids must be unique");
            }
            if (subscription.isBatch() && config.exactlyOnce()) {
                throw new IllegalArgumentException("Engine '" + name + "': subscription '" + subscription.id()
                        + "' has a batch handler, which processingGuarantee EXACTLY_ONCE does not support;"
                        + " use a record handler or AT_LEAST_ONCE");
            }
        }
        Map<String, Integer> perTopic = new HashMap<>();
        for (Subscription<?, ?> subscription : subscriptions) {
            for (String topic : subscription.topics()) {
                if (perTopic.merge(topic, 1, Integer::sum) > TrackedRecord.MAX_HOLDERS) {
                    throw new IllegalArgumentException("Engine '" + name + "': topic '" + topic
                            + "' has more than " + TrackedRecord.MAX_HOLDERS + " subscriptions");
                }
            }
        }
    }

}
