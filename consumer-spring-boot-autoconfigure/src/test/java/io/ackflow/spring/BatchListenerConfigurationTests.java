package io.ackflow.spring;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;

import io.ackflow.consumer.Batching;
import io.ackflow.consumer.Subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Batch {@code @StreamListener} methods at start-up: which methods are batch handlers and in what
 * shape, the types their records are read as, their batching from {@code ackflow.batch.*} and
 * {@code ackflow.listeners.<id>.batch.*}, and the start-up failures of bad batch settings.
 */
class BatchListenerConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false")
        .withUserConfiguration(Listeners.class);

    @Test
    void aListPayloadMakesABatchHandlerWhoseTypesAreThoseOfItsElements() {
        assertShape("payloads", BatchShape.PAYLOADS, Orders.Order.class, Long.class);
        assertShape("records", BatchShape.RECORDS, Orders.Order.class, Integer.class);
        assertShape("messages", BatchShape.MESSAGES, Orders.Order.class, String.class);
        assertShape("rawValues", BatchShape.PAYLOADS, String.class, byte[].class);
        assertThat(ListenerParameters.of(method("single")).batch()).isNull();
    }

    @Test
    void aBatchHandlerWithASingleConsumerRecordFailsStartUp() {
        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> ListenerParameters.of(method("listAndRecord")))
            .withMessage("@StreamListener method BatchListenerConfigurationTests.Methods.listAndRecord(List, ConsumerRecord)"
                    + " takes a List, so it is a batch handler, and also one ConsumerRecord, which a batch has many of.");
    }

    @Test
    void batchingComesFromTheListenersSettingsElseTheGlobalOnesElseTheDefaults() {
        this.contextRunner.withPropertyValues("ackflow.batch.max-wait=250ms", "ackflow.listeners.bulk.batch.max-records=50")
            .run((context) -> {
                List<Subscription<?, ?>> subscriptions = context.getBean(StreamListenerRegistry.class).getEngine()
                    .subscriptions();
                assertThat(find(subscriptions, "bulk").batching()).isEqualTo(Batching.of(50, Duration.ofMillis(250)));
                assertThat(find(subscriptions, "bulk").isBatch()).isTrue();
                assertThat(find(subscriptions, "audit").isBatch()).isFalse();
            });
        this.contextRunner.run((context) -> assertThat(find(
                context.getBean(StreamListenerRegistry.class).getEngine().subscriptions(), "bulk").batching())
            .isEqualTo(Batching.of(500, Duration.ofMillis(100))));
    }

    @Test
    void badBatchSettingsFailStartUpNamingTheProperty() {
        assertDescription("ackflow.batch.max-records=0", "Property 'ackflow.batch.max-records' must be at least 1, was 0.");
        assertDescription("ackflow.listeners.bulk.batch.max-wait=-1ms",
                "Property 'ackflow.listeners.bulk.batch.max-wait' must not be negative, was PT-0.001S.");
    }

    @Test
    void batchSettingsOfARecordListenerFailStartUp() {
        assertDescription("ackflow.listeners.audit.batch.max-records=10", "Properties 'ackflow.listeners.audit.batch.*'"
                + " are set, but @StreamListener method BatchListenerConfigurationTests.Listeners.audit(String) handles"
                + " one record at a time; a batch listener takes a List as its payload.");
    }

    @Test
    void aBatchListenerUnderExactlyOnceFailsStartUp() {
        assertDescription("ackflow.processing-guarantee=exactly-once", "@StreamListener method"
                + " BatchListenerConfigurationTests.Listeners.bulk(List) is a batch listener (a List payload), which"
                + " 'ackflow.processing-guarantee' exactly-once does not support.");
    }

    private void assertDescription(String property, String description) {
        this.contextRunner.withPropertyValues(property).run((context) -> {
            assertThat(context.getStartupFailure()).as("a start-up failure").isNotNull();
            FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).as("an Ackflow failure analysis of " + context.getStartupFailure()).isNotNull();
            assertThat(analysis.getDescription()).isEqualTo(description);
        });
    }

    private static Subscription<?, ?> find(List<Subscription<?, ?>> subscriptions, String id) {
        return subscriptions.stream().filter((s) -> s.id().equals(id)).findFirst().orElseThrow();
    }

    private static void assertShape(String name, BatchShape shape, Class<?> payload, Class<?> key) {
        ListenerParameters parameters = ListenerParameters.of(method(name));
        assertThat(parameters.batch()).as(name + " shape").isEqualTo(shape);
        assertThat(parameters.payloadType()).as(name + " payload").isEqualTo(payload);
        assertThat(parameters.keyType()).as(name + " key").isEqualTo(key);
    }

    private static Method method(String name) {
        return Arrays.stream(Methods.class.getDeclaredMethods()).filter((method) -> method.getName().equals(name))
            .findFirst().orElseThrow();
    }

    static class Methods {

        void payloads(List<Orders.Order> orders, @Header(KafkaHeaders.RECEIVED_KEY) List<Long> keys) {
        }

        void records(List<ConsumerRecord<Integer, Orders.Order>> records) {
        }

        void messages(List<Message<Orders.Order>> messages) {
        }

        void rawValues(List<String> values) {
        }

        void single(Orders.Order order) {
        }

        void listAndRecord(List<String> values, ConsumerRecord<String, String> record) {
        }

    }

    static class Listeners {

        @StreamListener(id = "bulk", topics = "orders")
        void bulk(List<String> orders) {
        }

        @StreamListener(id = "audit", topics = "orders")
        void audit(String order) {
        }

    }

}
