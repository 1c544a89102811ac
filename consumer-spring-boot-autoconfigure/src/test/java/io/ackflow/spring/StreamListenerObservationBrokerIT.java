package io.ackflow.spring;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Receiver observations against a real broker, with Spring Boot's
 * {@code spring.kafka.listener.observation-enabled=true} and the application's
 * {@link TestObservationRegistry}: two listeners on {@code orders} (one blocking, one returning a
 * future that the test completes) and one on {@code rejects} that always throws and is tried
 * twice. Each handler call is observed once, with spring-kafka's name and tags, current on the
 * handler's thread (a virtual thread on Java 21+) while the method runs, stopped when the handler
 * is done, with the error of a failed call.
 */
@SpringBootTest(classes = StreamListenerObservationBrokerIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=observation-it", "spring.kafka.consumer.client-id=observation-it",
            "spring.kafka.consumer.auto-offset-reset=earliest", "spring.kafka.listener.observation-enabled=true",
            "ackflow.commit-interval=200ms", "ackflow.listeners.reject.errors.retry.attempts=2",
            "ackflow.listeners.reject.errors.retry.delay=5ms" })
@DirtiesContext
class StreamListenerObservationBrokerIT {

    private static final int ORDERS = 40;

    private static final int REJECTS = 5;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(3, "orders", "rejects");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private Handlers handlers;

    @Test
    void eachRecordIsObservedOncePerListenerAndAFuturesObservationStopsWhenItCompletes() {
        for (int n = 0; n < ORDERS; n++) {
            this.template.send("orders", "customer-" + n, "order-" + n);
        }
        this.template.flush();
        await().atMost(Duration.ofSeconds(60))
            .until(() -> this.handlers.recorder.stopped("audit").size() == ORDERS && this.handlers.pending.size() == ORDERS);

        assertThat(this.handlers.recorder.started("charge")).as("charge observations started while their futures run")
            .hasSize(ORDERS);
        assertThat(this.handlers.recorder.stopped("charge")).as("none stops before its future completes").isEmpty();
        this.handlers.pending.forEach((order, future) -> {
            if (declined(order)) {
                future.completeExceptionally(new IllegalStateException("declined " + order));
            }
            else {
                future.complete(null);
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> this.handlers.recorder.stopped("charge").size() == ORDERS);

        for (String listener : List.of("audit", "charge")) {
            List<KafkaRecordReceiverContext> stopped = this.handlers.recorder.stopped(listener);
            assertThat(stopped).extracting(StreamListenerObservationBrokerIT::value)
                .as("one stopped observation per record of " + listener)
                .containsExactlyInAnyOrderElementsOf(orders());
            assertThat(stopped).allSatisfy((context) -> {
                assertThat(context.getName()).isEqualTo("spring.kafka.listener");
                assertThat(context.getContextualName()).isEqualTo("orders process");
                assertThat(tag(context, "spring.kafka.listener.id")).isEqualTo(listener);
                assertThat(tag(context, "messaging.source.name")).isEqualTo("orders");
                assertThat(tag(context, "messaging.kafka.consumer.group")).isEqualTo("observation-it");
                assertThat(context.getHighCardinalityKeyValue("messaging.kafka.client_id").getValue())
                    .isEqualTo("observation-it");
            });
            assertThat(this.handlers.current.get(listener)).as("the observation current in each call of " + listener)
                .containsOnlyKeys(orders())
                .allSatisfy((order, observed) -> assertThat(observed.context().getRecord().value()).isEqualTo(order))
                .allSatisfy((order, observed) -> assertThat(observed.virtualThread()).isEqualTo(virtualThreads()));
        }
        assertThat(this.handlers.recorder.stopped("audit")).allSatisfy((context) -> assertThat(context.getError()).isNull());
        assertThat(this.handlers.recorder.stopped("charge")).allSatisfy((context) -> {
            if (declined(value(context))) {
                assertThat(context.getError()).isInstanceOf(IllegalStateException.class)
                    .hasMessage("declined " + value(context));
            }
            else {
                assertThat(context.getError()).isNull();
            }
        });
    }

    @Test
    void aHandlerThatThrowsIsObservedOncePerAttemptWithItsError() {
        for (int n = 0; n < REJECTS; n++) {
            this.template.send("rejects", "reject-" + n);
        }
        this.template.flush();
        await().atMost(Duration.ofSeconds(60)).until(() -> this.handlers.recorder.stopped("reject").size() == 2 * REJECTS);

        List<KafkaRecordReceiverContext> stopped = this.handlers.recorder.stopped("reject");
        assertThat(stopped.stream().collect(Collectors.groupingBy(StreamListenerObservationBrokerIT::value,
                Collectors.counting())))
            .as("two attempts of each record, each observed")
            .containsOnlyKeys(IntStream.range(0, REJECTS).mapToObj((n) -> "reject-" + n).toList())
            .allSatisfy((value, attempts) -> assertThat(attempts).isEqualTo(2));
        assertThat(stopped).allSatisfy((context) -> {
            assertThat(tag(context, "messaging.source.name")).isEqualTo("rejects");
            assertThat(context.getError()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rejected " + value(context));
        });
    }

    private static boolean declined(String order) {
        return Integer.parseInt(order.substring("order-".length())) % 4 == 0;
    }

    private static List<String> orders() {
        return IntStream.range(0, ORDERS).mapToObj((n) -> "order-" + n).toList();
    }

    private static String value(KafkaRecordReceiverContext context) {
        return (String) context.getRecord().value();
    }

    private static String tag(Observation.Context context, String key) {
        return context.getLowCardinalityKeyValue(key).getValue();
    }

    /** Whether handlers run on virtual threads here: Ackflow uses them from Java 21 on. */
    private static boolean virtualThreads() {
        return Runtime.version().feature() >= 21;
    }

    private static boolean isVirtual(Thread thread) {
        try {
            Method isVirtual = Thread.class.getMethod("isVirtual");
            return (Boolean) isVirtual.invoke(thread);
        }
        catch (NoSuchMethodException ex) {
            return false;
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The observation current while a method ran, and whether its thread was virtual. */
    record Observed(KafkaRecordReceiverContext context, boolean virtualThread) {
    }

    static class Handlers {

        /** Not a bean of its own: Boot would register it on the registry a second time. */
        final Recorder recorder = new Recorder();

        final TestObservationRegistry registry = TestObservationRegistry.create();

        /** By listener, then by record value. */
        final Map<String, Map<String, Observed>> current = new ConcurrentHashMap<>();

        final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();

        Handlers() {
            this.registry.observationConfig().observationHandler(this.recorder);
        }

        @StreamListener(id = "audit", topics = "orders")
        void audit(String order) {
            observed("audit", order);
        }

        @StreamListener(id = "charge", topics = "orders", ordering = Ordering.UNORDERED, concurrency = ORDERS)
        CompletableFuture<Void> charge(String order) {
            observed("charge", order);
            CompletableFuture<Void> future = new CompletableFuture<>();
            this.pending.put(order, future);
            return future;
        }

        @StreamListener(id = "reject", topics = "rejects")
        void reject(String value) {
            throw new IllegalArgumentException("rejected " + value);
        }

        private void observed(String listener, String value) {
            Observation observation = this.registry.getCurrentObservation();
            KafkaRecordReceiverContext context = (observation != null)
                    ? (KafkaRecordReceiverContext) observation.getContext() : null;
            this.current.computeIfAbsent(listener, (key) -> new ConcurrentHashMap<>())
                .put(value, new Observed(context, isVirtual(Thread.currentThread())));
        }

    }

    /** Keeps the receiver observations as they start and stop. */
    static class Recorder implements ObservationHandler<KafkaRecordReceiverContext> {

        private final Queue<KafkaRecordReceiverContext> started = new ConcurrentLinkedQueue<>();

        private final Queue<KafkaRecordReceiverContext> stopped = new ConcurrentLinkedQueue<>();

        @Override
        public boolean supportsContext(Observation.Context context) {
            return context instanceof KafkaRecordReceiverContext;
        }

        @Override
        public void onStart(KafkaRecordReceiverContext context) {
            this.started.add(context);
        }

        @Override
        public void onStop(KafkaRecordReceiverContext context) {
            this.stopped.add(context);
        }

        List<KafkaRecordReceiverContext> started(String listener) {
            return this.started.stream().filter((context) -> listener.equals(context.getListenerId())).toList();
        }

        List<KafkaRecordReceiverContext> stopped(String listener) {
            return this.stopped.stream().filter((context) -> listener.equals(context.getListenerId())).toList();
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        Handlers handlers() {
            return new Handlers();
        }

        @Bean
        TestObservationRegistry observationRegistry(Handlers handlers) {
            return handlers.registry;
        }

    }

}
