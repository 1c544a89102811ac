package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Error policies against a real broker. On {@code payments}, a handler fails for good on every
 * 97th record and once (first attempt only) on every 13th; retried twice, then dead-lettered. On
 * {@code orders}, some values are not JSON. A second listener on each topic sees every record.
 */
@SpringBootTest(classes = StreamListenerErrorsBrokerIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=errors-it", "spring.kafka.consumer.auto-offset-reset=earliest",
            "ackflow.commit-interval=200ms", "ackflow.errors.recovery=dead-letter",
            "ackflow.listeners.charge.errors.retry.attempts=3", "ackflow.listeners.charge.errors.retry.delay=5ms",
            "ackflow.listeners.charge.errors.not-retryable=java.lang.IllegalArgumentException" })
@DirtiesContext
class StreamListenerErrorsBrokerIT {

    private static final int PAYMENTS = 10_000;

    private static final int ORDERS = 1_000;

    private static final String LEFE = "org.springframework.kafka.listener.ListenerExecutionFailedException";

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(4, "payments", "orders", "payments.DLT",
            "orders.DLT");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private Handlers handlers;

    @Test
    void permanentFailuresAreDeadLetteredOnceTransientOnesSucceedOnRetryAndTheOtherListenerSeesAll() throws Exception {
        for (int n = 0; n < PAYMENTS; n++) {
            this.template.send("payments", "key-" + n, Integer.toString(n));
        }
        this.template.flush();
        Set<Integer> declined = new java.util.TreeSet<>();
        for (int n = 0; n < PAYMENTS; n += 97) {
            declined.add(n);
        }
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end("payments", 4);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
            .until(() -> offsets.committedOffsets("errors-it").entrySet().containsAll(end.entrySet()));
        List<ConsumerRecord<byte[], byte[]>> deadLetters = readAll("payments.DLT", declined.size());

        assertThat(this.handlers.audited).hasSize(PAYMENTS).allSatisfy((n, count) -> assertThat(count).hasValue(1));
        for (int n = 0; n < PAYMENTS; n++) {
            int expectedAttempts = declined.contains(n) ? 3 : (n % 13 == 0) ? 2 : 1;
            assertThat(this.handlers.chargeAttempts.get(n)).as("attempts of " + n).hasValue(expectedAttempts);
            assertThat(this.handlers.charged.containsKey(n)).as("charged " + n).isEqualTo(!declined.contains(n));
        }
        assertThat(this.handlers.charged.values()).allSatisfy((count) -> assertThat(count).hasValue(1));

        assertThat(deadLetters).hasSize(declined.size());
        Set<Integer> lettered = new java.util.TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
            int n = Integer.parseInt(new String(letter.value(), StandardCharsets.UTF_8));
            lettered.add(n);
            assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo("key-" + n);
            String[] origin = this.handlers.coordinates.get(n).split("@");
            assertThat(header(letter, KafkaHeaders.DLT_ORIGINAL_TOPIC)).isEqualTo("payments");
            assertThat(intHeader(letter, KafkaHeaders.DLT_ORIGINAL_PARTITION)).isEqualTo(Integer.parseInt(origin[0]));
            assertThat(longHeader(letter, KafkaHeaders.DLT_ORIGINAL_OFFSET)).isEqualTo(Long.parseLong(origin[1]));
            assertThat(header(letter, KafkaHeaders.DLT_ORIGINAL_CONSUMER_GROUP)).isEqualTo("errors-it");
            assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_FQCN)).isEqualTo(LEFE);
            assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN))
                .isEqualTo(PaymentDeclinedException.class.getName());
            assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_MESSAGE)).isEqualTo("Subscription 'charge' failed on payments-"
                    + origin[0] + "@" + origin[1] + "; declined " + n);
            assertThat(header(letter, DeadLetterPublishers.SUBSCRIPTION_HEADER)).isEqualTo("charge");
        }
        assertThat(lettered).isEqualTo(declined);
    }

    @Test
    void recordsThatAreNotJsonGoToTheDeadLetterTopicWithTheirRawBytesAndCommitsReachTheEnd() throws Exception {
        Set<Integer> poisoned = new java.util.TreeSet<>();
        for (int n = 0; n < ORDERS; n++) {
            boolean poison = n % 50 == 7;
            if (poison) {
                poisoned.add(n);
            }
            this.template.send("orders", "order-" + n, poison ? "{not json " + n : "{\"id\":" + n + "}");
        }
        this.template.flush();
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end("orders", 4);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> offsets.committedOffsets("errors-it").entrySet().containsAll(end.entrySet()));
        List<ConsumerRecord<byte[], byte[]>> deadLetters = readAll("orders.DLT", poisoned.size());

        assertThat(this.handlers.ordersSeen).hasSize(ORDERS);
        assertThat(this.handlers.ordersHandled).hasSize(ORDERS - poisoned.size())
            .allSatisfy((id, count) -> assertThat(count).hasValue(1));
        assertThat(this.handlers.ordersHandled.keySet()).doesNotContainAnyElementsOf(poisoned);
        assertThat(deadLetters).hasSize(poisoned.size());
        Set<Integer> lettered = new java.util.TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
            String value = new String(letter.value(), StandardCharsets.UTF_8);
            int n = Integer.parseInt(value.substring("{not json ".length()));
            lettered.add(n);
            assertThat(value).isEqualTo("{not json " + n);
            assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_FQCN)).isEqualTo(LEFE);
            assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_MESSAGE)).startsWith("Subscription 'order' failed on orders-")
                .contains("; Cannot deserialize the value of orders-");
            assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_STACKTRACE))
                .contains(RecordDeserializationException.class.getName() + ": Cannot deserialize the value of orders-");
            assertThat(header(letter, KafkaHeaders.DLT_ORIGINAL_CONSUMER_GROUP)).isEqualTo("errors-it");
            assertThat(header(letter, DeadLetterPublishers.SUBSCRIPTION_HEADER)).isEqualTo("order");
        }
        assertThat(lettered).isEqualTo(poisoned);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header " + name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static int intHeader(ConsumerRecord<byte[], byte[]> record, String name) {
        return java.nio.ByteBuffer.wrap(record.headers().lastHeader(name).value()).getInt();
    }

    private static long longHeader(ConsumerRecord<byte[], byte[]> record, String name) {
        return java.nio.ByteBuffer.wrap(record.headers().lastHeader(name).value()).getLong();
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
        return TopicReader.readAll(broker.bootstrapServers(), topic, expected);
    }

    static class PaymentDeclinedException extends RuntimeException {

        PaymentDeclinedException(String message) {
            super(message);
        }

    }

    record Order(int id) {
    }

    static class Handlers {

        final Map<Integer, AtomicInteger> audited = new ConcurrentHashMap<>();

        final Map<Integer, String> coordinates = new ConcurrentHashMap<>();

        final Map<Integer, AtomicInteger> chargeAttempts = new ConcurrentHashMap<>();

        final Map<Integer, AtomicInteger> charged = new ConcurrentHashMap<>();

        final Map<String, Boolean> ordersSeen = new ConcurrentHashMap<>();

        final Map<Integer, AtomicInteger> ordersHandled = new ConcurrentHashMap<>();

        @StreamListener(id = "audit", topics = "payments")
        void audit(String value, ConsumerRecord<String, String> record) {
            int n = Integer.parseInt(value);
            this.coordinates.put(n, record.partition() + "@" + record.offset());
            this.audited.computeIfAbsent(n, (k) -> new AtomicInteger()).incrementAndGet();
        }

        @StreamListener(id = "charge", topics = "payments", ordering = Ordering.KEY, concurrency = 32)
        void charge(String value) {
            int n = Integer.parseInt(value);
            int attempt = this.chargeAttempts.computeIfAbsent(n, (k) -> new AtomicInteger()).incrementAndGet();
            if (n % 97 == 0) {
                throw new PaymentDeclinedException("declined " + n);
            }
            if (n % 13 == 0 && attempt == 1) {
                throw new IllegalStateException("payment service timed out on " + n);
            }
            this.charged.computeIfAbsent(n, (k) -> new AtomicInteger()).incrementAndGet();
        }

        @StreamListener(id = "order", topics = "orders")
        void order(Order order) {
            this.ordersHandled.computeIfAbsent(order.id(), (k) -> new AtomicInteger()).incrementAndGet();
        }

        @StreamListener(id = "orderAudit", topics = "orders")
        void orderAudit(String value, ConsumerRecord<String, String> record) {
            this.ordersSeen.put(record.partition() + "@" + record.offset(), Boolean.TRUE);
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
