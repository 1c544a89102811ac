package io.ackflow.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.kafka.core.DefaultShareConsumerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.ShareKafkaMessageListenerContainer;

/**
 * spring-kafka's share container as its users run it: {@code concurrency} share consumers, each
 * handling its records in turn on its own thread, acknowledged as the container does by default
 * (implicitly, with the next poll); for N handlers per record, N containers in N share groups, so
 * every record is fetched N times.
 */
final class SpringKafkaShareArm implements Arm {

    private static final String BEAN_PREFIX = "bench-skshare-";

    private final List<ShareKafkaMessageListenerContainer<String, Object>> containers = new ArrayList<>();

    @Override
    public String name() {
        return "spring-kafka-share";
    }

    @Override
    public void start(Spec spec, Completions completions) throws Exception {
        Workload workload = spec.workload();
        List<String> groups = groups(spec);
        ShareGroups.fromEarliest(spec.bootstrap(), groups);
        for (int h = 0; h < workload.handlers; h++) {
            int handler = h;
            DefaultShareConsumerFactory<String, Object> factory = new DefaultShareConsumerFactory<>(
                    ShareGroups.consumerProperties(spec, groups.get(h)), new StringDeserializer(),
                    workload.payload.deserializer(), false);
            ContainerProperties properties = new ContainerProperties(spec.topic());
            properties.setGroupId(groups.get(h));
            properties.setMessageListener((MessageListener<String, Object>) (ConsumerRecord<String, Object> record) -> {
                long startedAt = Completions.started(record.offset());
                try {
                    workload.runBlocking();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                completions.handled(handler, record.partition(), record.offset(), record.value(), startedAt);
            });
            ShareKafkaMessageListenerContainer<String, Object> container = new ShareKafkaMessageListenerContainer<>(
                    factory, properties);
            container.setConcurrency(spec.concurrency());
            container.setBeanName(BEAN_PREFIX + h);
            container.start();
            this.containers.add(container);
        }
    }

    @Override
    public boolean stop() {
        this.containers.forEach(ShareKafkaMessageListenerContainer::stop);
        this.containers.clear();
        return true;
    }

    @Override
    public boolean isPollThread(String threadName) {
        return threadName.startsWith(BEAN_PREFIX);
    }

    @Override
    public boolean hasCeiling() {
        return false;
    }

    @Override
    public boolean commitsOffsets() {
        return false;
    }

    @Override
    public List<String> groups(Spec spec) {
        List<String> groups = new ArrayList<>();
        for (int h = 0; h < spec.workload().handlers; h++) {
            groups.add(spec.group() + "-share-" + h);
        }
        return groups;
    }

}
