package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.validation.Valid;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.KafkaNull;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.messaging.handler.annotation.Payload;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The parameter shapes of {@code @KafkaListener} on {@code @StreamListener} methods, against a
 * real broker, with Spring Boot's default deserializers (payloads read as JSON of their type):
 * {@code Message<T>}, {@code Message<?>}, a tombstone as {@code null} for
 * {@code @Payload(required = false)} and as {@link KafkaNull} in a message, {@code @Headers Map},
 * header bytes as text, and {@code @Valid} with the context's validator (an invalid payload goes
 * to the listener's recovery without retry). Six listeners on one topic; every record reaches each.
 */
class ArgumentShapesBrokerIT {

    private static final int RECORDS = 60;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, "shapes", "shapes.DLT");

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, ValidationAutoConfiguration.class,
                AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.auto-offset-reset=earliest", "ackflow.commit-interval=100ms",
                "spring.kafka.consumer.group-id=shapes-it", "ackflow.listeners.validated.errors.recovery=dead-letter",
                "ackflow.listeners.validated.errors.retry.attempts=3",
                "ackflow.listeners.validated.errors.retry.delay=1ms");

    /** Record n: a tombstone when n % 10 == 9, an invalid order (quantity 0) when n % 10 == 4. */
    private static String value(int n) {
        if (n % 10 == 9) {
            return null;
        }
        return "{\"id\":\"o-" + n + "\",\"quantity\":" + ((n % 10 == 4) ? 0 : n + 1) + ",\"region\":\"eu\"}";
    }

    private static String order(int n) {
        return new Orders.Order("o-" + n, (n % 10 == 4) ? 0 : n + 1, "eu").toString();
    }

    @Test
    void everyShapeGetsWhatKafkaListenerWouldGive() throws Exception {
        broker.produce(RECORDS, (n) -> {
            ProducerRecord<String, String> record = new ProducerRecord<>("shapes", n % 2, "k-" + n, value(n));
            record.headers().add("tenant", ("t-" + n).getBytes(StandardCharsets.UTF_8));
            return record;
        });
        this.contextRunner.withUserConfiguration(Shapes.class).run((context) -> {
            BrokerOffsets offsets = broker.offsets();
            Map<TopicPartition, Long> end = offsets.end("shapes", 2);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> offsets.committedOffsets("shapes-it").entrySet().containsAll(end.entrySet()));
            Shapes shapes = context.getBean(Shapes.class);

            Map<String, String> optional = new TreeMap<>();
            Map<String, String> messages = new TreeMap<>();
            Map<String, String> typed = new TreeMap<>();
            Map<String, String> validated = new TreeMap<>();
            List<String> tombstoneKeys = new ArrayList<>();
            List<String> invalid = new ArrayList<>();
            for (int n = 0; n < RECORDS; n++) {
                String key = "k-" + n;
                boolean tombstone = n % 10 == 9;
                optional.put(key, (tombstone ? "null" : order(n)) + " tenant t-" + n);
                messages.put(key, tombstone ? "KafkaNull" : "String " + value(n));
                if (tombstone) {
                    tombstoneKeys.add(key);
                    continue;
                }
                typed.put(key, order(n) + " @" + (n % 2));
                if (n % 10 == 4) {
                    invalid.add(value(n));
                }
                else {
                    validated.put(key, order(n));
                }
            }
            assertThat(new TreeMap<>(shapes.optional)).isEqualTo(optional);
            assertThat(new TreeMap<>(shapes.messages)).isEqualTo(messages);
            assertThat(new TreeMap<>(shapes.typed)).isEqualTo(typed);
            assertThat(new TreeMap<>(shapes.validated)).isEqualTo(validated);
            assertThat(shapes.headers).hasSize(RECORDS).allSatisfy((line) -> assertThat(line)
                .matches("k-\\d+ shapes-[01]@\\d+ tenant=t-\\d+"));
            assertThat(shapes.calls.get()).as("each listener called once per record it could take")
                .isEqualTo(RECORDS * 4 + (RECORDS - tombstoneKeys.size()) + validated.size());

            AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
            SubscriptionStats typedStats = engine.stats().subscription("typed");
            assertThat(typedStats.failed()).as("a tombstone cannot be a Message<Order>").isEqualTo(tombstoneKeys.size());
            SubscriptionStats validatedStats = engine.stats().subscription("validated");
            assertThat(validatedStats.retried()).as("an invalid payload is not retried").isZero();
            assertThat(validatedStats.deadLettered()).isEqualTo(invalid.size() + tombstoneKeys.size());

            List<ConsumerRecord<byte[], byte[]>> letters = TopicReader.readAll(broker.bootstrapServers(), "shapes.DLT",
                    invalid.size() + tombstoneKeys.size());
            List<String> lettered = letters.stream()
                .map((letter) -> (letter.value() != null) ? new String(letter.value(), StandardCharsets.UTF_8) : "null")
                .toList();
            List<String> expectedLetters = new ArrayList<>(invalid);
            tombstoneKeys.forEach((key) -> expectedLetters.add("null"));
            assertThat(lettered).containsExactlyInAnyOrderElementsOf(expectedLetters);
            for (ConsumerRecord<byte[], byte[]> letter : letters) {
                String cause = new String(letter.headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN).value(),
                        StandardCharsets.UTF_8);
                assertThat(cause).isEqualTo(ListenerArgumentException.class.getName());
                String message = new String(letter.headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_MESSAGE).value(),
                        StandardCharsets.UTF_8);
                assertThat(message).contains("@StreamListener 'validated' cannot resolve its arguments for shapes-")
                    .endsWith("(MethodArgumentNotValidException)");
            }
        });
    }

    static class Shapes {

        final Map<String, String> optional = Collections.synchronizedMap(new TreeMap<>());

        final Map<String, String> messages = Collections.synchronizedMap(new TreeMap<>());

        final Map<String, String> typed = Collections.synchronizedMap(new TreeMap<>());

        final Map<String, String> validated = Collections.synchronizedMap(new TreeMap<>());

        final List<String> headers = Collections.synchronizedList(new ArrayList<>());

        final AtomicInteger calls = new AtomicInteger();

        @StreamListener(id = "optional", topics = "shapes")
        void optional(@Payload(required = false) Orders.Order order, @Header(KafkaHeaders.RECEIVED_KEY) String key,
                @Header("tenant") String tenant) {
            count();
            this.optional.put(key, order + " tenant " + tenant);
        }

        @StreamListener(id = "messages", topics = "shapes")
        void messages(Message<?> message) {
            count();
            Object payload = message.getPayload();
            String shown = (payload instanceof KafkaNull) ? "KafkaNull" : payload.getClass().getSimpleName() + " " + payload;
            this.messages.put((String) message.getHeaders().get(KafkaHeaders.RECEIVED_KEY), shown);
        }

        @StreamListener(id = "typed", topics = "shapes")
        void typed(Message<Orders.Order> message) {
            count();
            this.typed.put((String) message.getHeaders().get(KafkaHeaders.RECEIVED_KEY),
                    message.getPayload() + " @" + message.getHeaders().get(KafkaHeaders.RECEIVED_PARTITION));
        }

        @StreamListener(id = "headers", topics = "shapes")
        void headers(@Payload(required = false) Orders.Order order, @Headers Map<String, Object> headers) {
            count();
            this.headers.add(headers.get(KafkaHeaders.RECEIVED_KEY) + " " + headers.get(KafkaHeaders.RECEIVED_TOPIC) + "-"
                    + headers.get(KafkaHeaders.RECEIVED_PARTITION) + "@" + headers.get(KafkaHeaders.OFFSET) + " tenant="
                    + new String((byte[]) headers.get("tenant"), StandardCharsets.UTF_8));
        }

        @StreamListener(id = "validated", topics = "shapes")
        void validated(@Valid Orders.Order order, @Header(KafkaHeaders.RECEIVED_KEY) String key) {
            count();
            this.validated.put(key, order.toString());
        }

        @StreamListener(id = "raw", topics = "shapes")
        void raw(ConsumerRecord<String, String> record) {
            count();
        }

        private void count() {
            this.calls.incrementAndGet();
        }

    }

}
