package io.ackflow.spring;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two {@code @StreamListener} methods on one topic in a Spring Boot application against a real
 * KRaft broker: one blocking with a String payload, one asynchronous with a JSON payload and the
 * key header. Every record reaches both exactly once, and once the context's lifecycle beans are
 * stopped (as closing the context does) the group's committed offsets equal the end offsets.
 */
@SpringBootTest(classes = StreamListenerBrokerIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=stream-listener-it",
            "spring.kafka.consumer.auto-offset-reset=earliest", "ackflow.commit-interval=200ms" })
@DirtiesContext
class StreamListenerBrokerIT {

    private static final int RECORDS = 3000;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(3, "orders");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @Autowired
    private ConfigurableApplicationContext context;

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private Handlers handlers;

    @Test
    void everyRecordReachesBothHandlersOnceAndIsCommittedAfterStop() throws Exception {
        for (int i = 0; i < RECORDS; i++) {
            this.template.send("orders", "customer-" + (i % 50), "{\"id\":\"o" + i + "\",\"cents\":" + i + "}");
        }
        this.template.flush();

        await().atMost(Duration.ofSeconds(60))
            .until(() -> this.handlers.audited.size() == RECORDS && this.handlers.charged.size() == RECORDS);
        // What closing the context does to lifecycle beans, without closing the test framework's context.
        this.context.stop();
        assertThat(this.context.getBean(StreamListenerRegistry.class).getEngine().state())
            .isEqualTo(io.ackflow.consumer.EngineState.STOPPED);

        assertThat(this.handlers.audited.values()).allMatch((count) -> count.get() == 1);
        assertThat(this.handlers.charged.values()).allMatch((count) -> count.get() == 1);
        assertThat(this.handlers.keyMismatches).hasValue(0);
        Map<TopicPartition, Long> end = broker.offsets().end("orders", 3);
        assertThat(end.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(RECORDS);
        assertThat(broker.offsets().committedOffsets("stream-listener-it")).isEqualTo(end);
    }

    record Purchase(String id, long cents) {
    }

    static class Handlers {

        final Map<String, AtomicInteger> audited = new ConcurrentHashMap<>();

        final Map<String, AtomicInteger> charged = new ConcurrentHashMap<>();

        final AtomicInteger keyMismatches = new AtomicInteger();

        @StreamListener(topics = "orders")
        void audit(String json, ConsumerRecord<String, String> record) {
            String coordinates = record.partition() + "@" + record.offset();
            this.audited.computeIfAbsent(coordinates, (k) -> new AtomicInteger()).incrementAndGet();
        }

        @StreamListener(topics = "orders", ordering = io.ackflow.consumer.Ordering.KEY, concurrency = 16)
        CompletableFuture<Void> charge(Purchase purchase, @Header(KafkaHeaders.RECEIVED_KEY) String customer,
                @Header(KafkaHeaders.RECEIVED_PARTITION) int partition, @Header(KafkaHeaders.OFFSET) long offset) {
            if (!customer.equals("customer-" + (purchase.cents() % 50))) {
                this.keyMismatches.incrementAndGet();
            }
            return CompletableFuture.runAsync(
                    () -> this.charged.computeIfAbsent(partition + "@" + offset, (k) -> new AtomicInteger()).incrementAndGet(),
                    CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextInt(3), TimeUnit.MILLISECONDS));
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        Handlers handlers() {
            return new Handlers();
        }

    }

}
