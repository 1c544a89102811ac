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
 * per partition ({@code concurrency} = partitions), records handled in turn on each; for two
 * handlers per record, two containers in two consumer groups. An asynchronous handler is waited
 * for on the listener thread, since the record is acked when the listener returns.
 */
final class SpringKafkaArm implements Arm {

    private final List<ConcurrentMessageListenerContainer<String, String>> containers = new ArrayList<>();

    @Override
    public String name() {
        return "spring-kafka";
    }

    @Override
    public void start(Spec spec, Probe probe) {
        FanOutCounter counter = new FanOutCounter(spec.workload().handlers, probe);
        for (int h = 0; h < spec.workload().handlers; h++) {
            DefaultKafkaConsumerFactory<String, String> factory = new DefaultKafkaConsumerFactory<>(
                    spec.consumerProperties("-" + h), new StringDeserializer(), new StringDeserializer());
            ContainerProperties properties = new ContainerProperties(spec.topic());
            properties.setMessageListener((MessageListener<String, String>) (ConsumerRecord<String, String> record) -> {
                long startedAt = System.nanoTime();
                try {
                    spec.workload().runBlocking();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                counter.done(record.partition(), record.offset(), startedAt);
            });
            ConcurrentMessageListenerContainer<String, String> container = new ConcurrentMessageListenerContainer<>(
                    factory, properties);
            container.setConcurrency(spec.partitions());
            container.setBeanName("bench-" + h);
            container.start();
            this.containers.add(container);
        }
    }

    @Override
    public void stop() {
        this.containers.forEach(ConcurrentMessageListenerContainer::stop);
        this.containers.clear();
    }

}
