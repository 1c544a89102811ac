package io.ackflow.benchmarks.harness;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * One run of one arm: where to read, what the handler does, with which ordering and concurrency.
 *
 * @param bootstrap broker address
 * @param topic topic to read from its start
 * @param group a consumer group used by this run only
 * @param workload what the handler does
 * @param ordering PARTITION, KEY or UNORDERED (empty for arms without the choice)
 * @param concurrency handler concurrency, for arms that have the knob
 * @param partitions partitions of the topic
 */
record Spec(String bootstrap, String topic, String group, Workload workload, String ordering, int concurrency,
        int partitions) {

    Map<String, Object> consumerProperties(String groupSuffix) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, this.group + groupSuffix);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return props;
    }

}
