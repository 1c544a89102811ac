package io.ackflow.spring;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler.FirstMatchingCompositeObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import io.micrometer.tracing.test.simple.SimpleSpan;
import io.micrometer.tracing.test.simple.SimpleTraceContextBuilder;
import io.micrometer.tracing.test.simple.SimpleTracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traces go on through Ackflow: records sent by a {@code KafkaTemplate} with observation on
 * ({@code spring.kafka.template.observation-enabled=true}) carry their producer span in their
 * headers, and with {@code ackflow.observation-enabled=true} each listener handles each record in a
 * consumer span of the same trace whose parent is that producer span, current while the method
 * runs. Micrometer Tracing's propagating handlers over its {@link SimpleTracer}, with a W3C
 * {@code traceparent} propagator for it.
 */
@SpringBootTest(classes = StreamListenerTracingBrokerIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=tracing-it", "spring.kafka.consumer.auto-offset-reset=earliest",
            "spring.kafka.template.observation-enabled=true", "ackflow.observation-enabled=true",
            "ackflow.commit-interval=200ms" })
@DirtiesContext
class StreamListenerTracingBrokerIT {

    private static final int RECORDS = 5;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, "shipments");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private SimpleTracer tracer;

    @Autowired
    private ObservationRegistry observationRegistry;

    @Autowired
    private Handlers handlers;

    @Test
    void eachListenerHandlesARecordInAConsumerSpanWhoseParentIsTheSendersSpan() {
        for (int n = 0; n < RECORDS; n++) {
            String shipment = "shipment-" + n;
            // Each sent from a trace of its own, as from the request that ships it.
            Observation.createNotStarted("ship", this.observationRegistry)
                .observe(() -> this.template.send("shipments", shipment, shipment));
        }
        this.template.flush();
        // A span is kept when it starts and ended when its observation stops, after the handler is done.
        await().atMost(Duration.ofSeconds(60)).until(() -> consumerSpans().size() == 2 * RECORDS
                && consumerSpans().stream().allMatch((span) -> span.getEndTimestamp().isAfter(Instant.EPOCH)));

        Map<String, SimpleSpan> producers = new HashMap<>();
        for (SimpleSpan span : this.tracer.getSpans()) {
            if (span.getKind() == Span.Kind.PRODUCER) {
                producers.put(span.getTraceId(), span);
            }
        }
        assertThat(producers).as("one producer span per record sent, each in its own trace").hasSize(RECORDS);
        for (String listener : List.of("pack", "notify")) {
            Map<String, TraceContext> current = this.handlers.current.get(listener);
            assertThat(current).as("the span current in each call of " + listener).containsOnlyKeys(shipments());
            assertThat(current.values()).extracting(TraceContext::traceId)
                .as("each record in a trace of its own, as each was sent in one")
                .doesNotHaveDuplicates();
            current.forEach((shipment, context) -> {
                SimpleSpan producer = producers.get(context.traceId());
                assertThat(producer).as("the producer span of the trace " + shipment + " was handled in").isNotNull();
                assertThat(context.parentId()).as("parent of the span " + listener + " handled " + shipment + " in")
                    .isEqualTo(producer.getSpanId());
                SimpleSpan consumer = consumerSpan(context.spanId());
                assertThat(consumer.getName()).isEqualTo("shipments process");
                assertThat(consumer.getTags()).containsEntry("spring.kafka.listener.id", listener)
                    .containsEntry("messaging.source.name", "shipments");
                assertThat(consumer.getEndTimestamp()).isAfterOrEqualTo(consumer.getStartTimestamp());
            });
        }
        shipments().forEach((shipment) -> assertThat(this.handlers.current.get("pack").get(shipment).traceId())
            .as("both listeners handled " + shipment + " in its trace")
            .isEqualTo(this.handlers.current.get("notify").get(shipment).traceId()));
    }

    private List<SimpleSpan> consumerSpans() {
        return this.tracer.getSpans().stream().filter((span) -> span.getKind() == Span.Kind.CONSUMER).toList();
    }

    private SimpleSpan consumerSpan(String spanId) {
        return consumerSpans().stream().filter((span) -> span.getSpanId().equals(spanId)).findFirst().orElseThrow();
    }

    private static List<String> shipments() {
        return IntStream.range(0, RECORDS).mapToObj((n) -> "shipment-" + n).toList();
    }

    static class Handlers {

        private final SimpleTracer tracer;

        /** By listener, then by record value: the trace context current while the method ran. */
        final Map<String, Map<String, TraceContext>> current = new ConcurrentHashMap<>();

        Handlers(SimpleTracer tracer) {
            this.tracer = tracer;
        }

        @StreamListener(id = "pack", topics = "shipments")
        void pack(String shipment) {
            traced("pack", shipment);
        }

        @StreamListener(id = "notify", topics = "shipments")
        CompletableFuture<Void> notify(String shipment) {
            traced("notify", shipment);
            return CompletableFuture.runAsync(() -> { });
        }

        private void traced(String listener, String shipment) {
            Span span = this.tracer.currentSpan();
            assertThat(span).as("a span is current while " + listener + " runs").isNotNull();
            this.current.computeIfAbsent(listener, (key) -> new ConcurrentHashMap<>()).put(shipment, span.context());
        }

    }

    /** W3C {@code traceparent} ({@code 00-<trace id>-<span id>-01}) for {@link SimpleTracer}'s contexts. */
    static class TraceparentPropagator implements Propagator {

        private static final String TRACEPARENT = "traceparent";

        private final SimpleTracer tracer;

        TraceparentPropagator(SimpleTracer tracer) {
            this.tracer = tracer;
        }

        @Override
        public List<String> fields() {
            return List.of(TRACEPARENT);
        }

        @Override
        public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
            setter.set(carrier, TRACEPARENT, "00-" + context.traceId() + "-" + context.spanId() + "-01");
        }

        @Override
        public <C> Span.Builder extract(C carrier, Getter<C> getter) {
            String traceparent = getter.get(carrier, TRACEPARENT);
            if (traceparent == null) {
                return this.tracer.spanBuilder();
            }
            String[] fields = traceparent.split("-");
            return this.tracer.spanBuilder()
                .setParent(new SimpleTraceContextBuilder().traceId(fields[1]).spanId(fields[2]).sampled(true).build());
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        SimpleTracer tracer() {
            return new SimpleTracer();
        }

        @Bean
        ObservationRegistry observationRegistry(SimpleTracer tracer) {
            Propagator propagator = new TraceparentPropagator(tracer);
            ObservationRegistry registry = ObservationRegistry.create();
            registry.observationConfig()
                .observationHandler(new FirstMatchingCompositeObservationHandler(
                        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                        new DefaultTracingObservationHandler(tracer)));
            return registry;
        }

        @Bean
        Handlers handlers(SimpleTracer tracer) {
            return new Handlers(tracer);
        }

    }

}
