package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.kafka.support.serializer.SerializationUtils;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;
import io.ackflow.spring.Orders.Order;
import io.ackflow.spring.Orders.OrderDeserializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deserializers configured the Spring Boot way read the records of {@code @StreamListener}
 * methods, as they would for {@code @KafkaListener}, against a real broker: classes named by
 * {@code spring.kafka.consumer.*-deserializer} and {@code spring.kafka.consumer.properties}, the
 * instances of a {@code ConsumerFactory} bean, and an {@link ErrorHandlingDeserializer} whose
 * delegate refuses some records (dead-lettered with their raw bytes).
 */
class DeserializersBrokerIT {

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, "binary", "custom", "ehd", "ehd.DLT", "factory");

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.auto-offset-reset=earliest", "ackflow.commit-interval=100ms");

    @BeforeEach
    void resetCounts() {
        CountingLongDeserializer.calls.set(0);
    }

    @Test
    void binaryKeysAndValuesReachEveryShapeAsTheConfiguredDeserializersReadThemOncePerRecord() throws Exception {
        int count = 200;
        List<ProducerRecord<Long, Integer>> sent = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            sent.add(new ProducerRecord<>("binary", n % 2, n * 1000L, n));
        }
        send(new LongSerializer(), new IntegerSerializer(), sent);
        this.contextRunner
            .withPropertyValues("spring.kafka.consumer.group-id=binary-it",
                    "spring.kafka.consumer.key-deserializer=" + CountingLongDeserializer.class.getName(),
                    "spring.kafka.consumer.value-deserializer=" + IntegerDeserializer.class.getName())
            .withUserConfiguration(BinaryListeners.class)
            .run((context) -> {
                awaitCommitsAtTheEnd("binary-it", "binary");
                List<String> expected = new ArrayList<>();
                for (int n = 0; n < count; n++) {
                    expected.add("Long " + (n * 1000L) + " = Integer " + n);
                }
                BinaryListeners listeners = context.getBean(BinaryListeners.class);
                assertThat(listeners.values).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(listeners.records).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(listeners.messages).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(CountingLongDeserializer.calls).as("one key deserialization per record for three listeners")
                    .hasValue(count);
            });
    }

    @Test
    void aCustomDeserializerNamedInTheConsumerPropertiesBuildsTheDomainObjectWithItsSettings() throws Exception {
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        for (int n = 0; n < 100; n++) {
            sent.add(new ProducerRecord<>("custom", "key-" + n, Order.text(n)));
        }
        send(new StringSerializer(), new StringSerializer(), sent);
        this.contextRunner
            .withPropertyValues("spring.kafka.consumer.group-id=custom-it",
                    "spring.kafka.consumer.properties.value.deserializer=" + OrderDeserializer.class.getName(),
                    "spring.kafka.consumer.properties." + Orders.REGION + "=eu")
            .withUserConfiguration(OrderListeners.class)
            .run((context) -> {
                awaitCommitsAtTheEnd("custom-it", "custom");
                OrderListeners listeners = context.getBean(OrderListeners.class);
                List<String> expected = new ArrayList<>();
                for (int n = 0; n < 100; n++) {
                    expected.add("key-" + n + " " + new Order("o-" + n, n + 1, "eu"));
                }
                assertThat(listeners.orders).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(listeners.records).containsExactlyInAnyOrderElementsOf(expected);
            });
    }

    @Test
    void aRecordTheErrorHandlingDeserializersDelegateRefusesIsDeadLetteredWithItsRawBytes() throws Exception {
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int n = 0; n < 50; n++) {
            String value = (n % 10 == 3) ? "garbage-" + n : Order.text(n);
            if (n % 10 == 3) {
                refused.add(value);
            }
            else {
                expected.add("key-" + n + " " + new Order("o-" + n, n + 1, "us"));
            }
            sent.add(new ProducerRecord<>("ehd", "key-" + n, value));
        }
        send(new StringSerializer(), new StringSerializer(), sent);
        this.contextRunner
            .withPropertyValues("spring.kafka.consumer.group-id=ehd-it",
                    "spring.kafka.consumer.value-deserializer=" + ErrorHandlingDeserializer.class.getName(),
                    "spring.kafka.consumer.properties." + ErrorHandlingDeserializer.VALUE_DESERIALIZER_CLASS + "="
                            + OrderDeserializer.class.getName(),
                    "spring.kafka.consumer.properties." + Orders.REGION + "=us",
                    "test.topic=ehd",
                    "ackflow.listeners.orders.errors.recovery=dead-letter",
                    "ackflow.listeners.orders.errors.retry.attempts=3")
            .withUserConfiguration(OrderListeners.class)
            .run((context) -> {
                awaitCommitsAtTheEnd("ehd-it", "ehd");
                OrderListeners listeners = context.getBean(OrderListeners.class);
                assertThat(listeners.orders).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(listeners.records).containsExactlyInAnyOrderElementsOf(expected);
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                assertThat(engine.stats().subscription("orders").retried()).isZero();
                assertThat(engine.stats().subscription("orders").deadLettered()).isEqualTo(refused.size());
                assertThat(engine.stats().subscription("records").failed()).isEqualTo(refused.size());

                List<ConsumerRecord<byte[], byte[]>> letters = TopicReader.readAll(broker.bootstrapServers(), "ehd.DLT",
                        refused.size());
                assertThat(letters).extracting((letter) -> new String(letter.value(), StandardCharsets.UTF_8))
                    .containsExactlyInAnyOrderElementsOf(refused);
                for (ConsumerRecord<byte[], byte[]> letter : letters) {
                    assertThat(letter.headers().lastHeader(SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER))
                        .isNull();
                    assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_FQCN))
                        .isEqualTo(ListenerExecutionFailedException.class.getName());
                    assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN))
                        .as("as spring-kafka's containers give it").isEqualTo(DeserializationException.class.getName());
                    assertThat(header(letter, KafkaHeaders.DLT_EXCEPTION_STACKTRACE))
                        .contains("Not an order: '" + new String(letter.value(), StandardCharsets.UTF_8) + "'");
                    assertThat(header(letter, KafkaHeaders.DLT_ORIGINAL_CONSUMER_GROUP)).isEqualTo("ehd-it");
                    assertThat(header(letter, DeadLetterPublishers.SUBSCRIPTION_HEADER)).isEqualTo("orders");
                }
            });
    }

    @Test
    void theDeserializerInstancesOfAConsumerFactoryBeanReadTheRecords() throws Exception {
        List<ProducerRecord<Integer, String>> sent = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
            sent.add(new ProducerRecord<>("factory", n, Order.text(n)));
            expected.add(n + " " + new Order("o-" + n, n + 1, "apac"));
        }
        send(new IntegerSerializer(), new StringSerializer(), sent);
        this.contextRunner
            .withPropertyValues("spring.kafka.consumer.group-id=factory-it",
                    "spring.kafka.consumer.properties." + Orders.REGION + "=apac")
            .withUserConfiguration(FactoryConfiguration.class)
            .run((context) -> {
                awaitCommitsAtTheEnd("factory-it", "factory");
                assertThat(context.getBean(FactoryConfiguration.class).orders).containsExactlyInAnyOrderElementsOf(expected);
            });
    }

    private static <K, V> void send(Serializer<K> keys, Serializer<V> values, List<ProducerRecord<K, V>> records)
            throws Exception {
        try (KafkaProducer<K, V> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), keys, values)) {
            for (ProducerRecord<K, V> record : records) {
                producer.send(record).get();
            }
        }
    }

    private static void awaitCommitsAtTheEnd(String group, String topic) throws Exception {
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end(topic, 2);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> offsets.committedOffsets(group).entrySet().containsAll(end.entrySet()));
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        org.apache.kafka.common.header.Header header = record.headers().lastHeader(name);
        assertThat(header).as("header " + name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String typed(Object key, Object value) {
        return key.getClass().getSimpleName() + " " + key + " = " + value.getClass().getSimpleName() + " " + value;
    }

    /** Counts its calls, to show one key deserialization per record whatever the number of listeners. */
    public static final class CountingLongDeserializer extends LongDeserializer {

        static final AtomicInteger calls = new AtomicInteger();

        @Override
        public Long deserialize(String topic, byte[] data) {
            calls.incrementAndGet();
            return super.deserialize(topic, data);
        }

    }

    static class BinaryListeners {

        final List<String> values = Collections.synchronizedList(new ArrayList<>());

        final List<String> records = Collections.synchronizedList(new ArrayList<>());

        final List<String> messages = Collections.synchronizedList(new ArrayList<>());

        @StreamListener(id = "values", topics = "binary")
        void values(Integer value, @Header(KafkaHeaders.RECEIVED_KEY) Long key) {
            this.values.add(typed(key, value));
        }

        @StreamListener(id = "records", topics = "binary")
        void records(ConsumerRecord<Long, Integer> record) {
            this.records.add(typed(record.key(), record.value()));
        }

        @StreamListener(id = "messages", topics = "binary")
        void messages(Message<Integer> message) {
            this.messages.add(typed(message.getHeaders().get(KafkaHeaders.RECEIVED_KEY), message.getPayload()));
        }

    }

    static class OrderListeners {

        final List<String> orders = Collections.synchronizedList(new ArrayList<>());

        final List<String> records = Collections.synchronizedList(new ArrayList<>());

        @StreamListener(id = "orders", topics = "${test.topic:custom}")
        void orders(Order order, @Header(KafkaHeaders.RECEIVED_KEY) String key) {
            this.orders.add(key + " " + order);
        }

        @StreamListener(id = "records", topics = "${test.topic:custom}")
        void records(ConsumerRecord<String, Order> record) {
            this.records.add(record.key() + " " + record.value());
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class FactoryConfiguration {

        final List<String> orders = Collections.synchronizedList(new ArrayList<>());

        @Bean
        ConsumerFactory<Integer, Order> consumerFactory(KafkaProperties properties) {
            return new DefaultKafkaConsumerFactory<>(properties.buildConsumerProperties(), new IntegerDeserializer(),
                    new OrderDeserializer());
        }

        @StreamListener(id = "factory", topics = "factory")
        void orders(Order order, @Header(KafkaHeaders.RECEIVED_KEY) Integer key) {
            this.orders.add(key + " " + order);
        }

    }

}
