package io.ackflow.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.MessageListener;

/**
 * spring-kafka as its users run it: a concurrent listener container with one consumer thread
 * per partition ({@code concurrency} = partitions), records handled in turn on each, the value
 * read by the consumer's deserializer; for N handlers per record, N containers in N consumer
 * groups. An asynchronous handler is waited for on the listener thread, since the record is
 * acked when the listener returns. The container threads own the consumers and run the handlers.
 */
final class SpringKafkaArm implements Arm {

    private static final String BEAN_PREFIX = "bench-sk-";

    private final List<ConcurrentMessageListenerContainer<String, Object>> containers = new ArrayList<>();

    @Override
    public String name() {
        return "spring-kafka";
    }

    @Override
    public void start(Spec spec, Completions completions) {
        Workload workload = spec.workload();
        for (int h = 0; h < workload.handlers; h++) {
            int handler = h;
            DefaultKafkaConsumerFactory<String, Object> factory = new DefaultKafkaConsumerFactory<>(
                    spec.consumerProperties("-" + h), new StringDeserializer(), workload.payload.deserializer());
            ContainerProperties properties = new ContainerProperties(spec.topic());
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
            ConcurrentMessageListenerContainer<String, Object> container = new ConcurrentMessageListenerContainer<>(
                    factory, properties);
            container.setConcurrency(spec.partitions());
            container.setBeanName(BEAN_PREFIX + h);
            container.start();
            this.containers.add(container);
        }
    }

    @Override
    public boolean stop() {
        this.containers.forEach(ConcurrentMessageListenerContainer::stop);
        this.containers.clear();
        return true;
    }

    /** The container threads, named {@code <bean>-<n>-C-<m>}. */
    @Override
    public boolean isPollThread(String threadName) {
        return threadName.startsWith(BEAN_PREFIX);
    }

    @Override
    public boolean hasCeiling() {
        return false;
    }

    @Override
    public List<String> groups(Spec spec) {
        List<String> groups = new ArrayList<>();
        for (int h = 0; h < spec.workload().handlers; h++) {
            groups.add(spec.group() + "-" + h);
        }
        return groups;
    }

}
