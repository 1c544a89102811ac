package io.ackflow.sample;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.ConsumerFactory;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;

/**
 * Two handlers on the topic {@code orders}: an audit log that sees every order in partition
 * order, and a slow "charge" step that runs 32 keys at once, each key in order. An order is
 * committed only when both are done with it. {@link OrderGenerator} writes the orders.
 */
@SpringBootApplication
public class SampleApplication {

    private static final Logger logger = LoggerFactory.getLogger(SampleApplication.class);

    public static void main(String[] args) {
        SpringApplication application = new SpringApplication(SampleApplication.class);
        application.addInitializers(new EmbeddedBrokerInitializer());
        application.run(args);
    }

    @Bean
    AckflowEngine ordersEngine(ConsumerFactory<?, ?> consumerFactory) {
        Properties raw = new Properties();
        raw.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        raw.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        raw.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        StringDeserializer strings = new StringDeserializer();
        return AckflowEngine.builder()
            .name("orders")
            .consumerFactory(() -> rawConsumer(consumerFactory, raw))
            .config(EngineConfig.builder().commitInterval(Duration.ofSeconds(1)).build())
            .subscription(Subscription.builder("audit").topics("orders")
                .keyDeserializer(strings).valueDeserializer(strings)
                .handler(RecordHandler.<String, String>blocking((order) -> logger.info("audit  {}-{}@{} {}={}",
                        order.topic(), order.partition(), order.offset(), order.key(), order.value())))
                .build())
            .subscription(Subscription.builder("charge").topics("orders").ordering(Ordering.KEY).concurrency(32)
                .keyDeserializer(strings).valueDeserializer(strings)
                .handler((order) -> CompletableFuture.runAsync(
                        () -> logger.info("charge {} for {}", order.value(), order.key()),
                        CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextInt(50), TimeUnit.MILLISECONDS)))
                .build())
            .build();
    }

    @SuppressWarnings("unchecked")
    private static org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> rawConsumer(
            ConsumerFactory<?, ?> consumerFactory, Properties raw) {
        return (org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>) consumerFactory.createConsumer(null, null,
                null, raw);
    }

    @Bean
    SmartLifecycle ordersEngineLifecycle(AckflowEngine ordersEngine) {
        return new SmartLifecycle() {

            private volatile boolean running;

            @Override
            public void start() {
                ordersEngine.start();
                this.running = true;
            }

            @Override
            public void stop() {
                try {
                    ordersEngine.stop();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                this.running = false;
                logger.info("Engine stopped: {}", ordersEngine.stats());
            }

            @Override
            public boolean isRunning() {
                return this.running;
            }

        };
    }

}
