package io.ackflow.spring;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.messaging.handler.annotation.Payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * What a {@code @StreamListener} method's parameters ask for, and the start-up failures for
 * parameters no record can fill or for deserializers that cannot be made.
 */
class ListenerParametersTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false");

    @Test
    void theTypesReadWhenNoDeserializerIsConfiguredFollowTheParameters() {
        assertTypes("payloadAndKey", Orders.Order.class, Long.class);
        assertTypes("typedMessage", Orders.Order.class, String.class);
        assertTypes("anyMessage", String.class, String.class);
        assertTypes("record", Orders.Order.class, Integer.class);
        assertTypes("headersOnly", byte[].class, String.class);
        assertTypes("messageHeaders", Orders.Order.class, String.class);
        assertTypes("nothing", byte[].class, byte[].class);
        assertTypes("optionalPayload", Orders.Order.class, byte[].class);
    }

    @Test
    void anAcknowledgmentParameterFailsStartUpNamingTheMethodAndTheParameter() {
        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> ListenerParameters.of(method("acknowledging")))
            .withMessage("@StreamListener method ListenerParametersTests.Methods.acknowledging(Order, Acknowledgment) has a parameter that no"
                    + " record can fill: parameter 1 (Acknowledgment ack): Ackflow acknowledges a record itself, when"
                    + " the method returns or the future it returns completes; there is nothing to acknowledge by hand.")
            .satisfies((ex) -> assertThat(ex.getAction()).isEqualTo(
                    "Remove parameter 1 (Acknowledgment ack) from @StreamListener method"
                            + " ListenerParametersTests.Methods.acknowledging(Order, Acknowledgment)."));
    }

    @Test
    void aConsumerParameterFailsStartUp() {
        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> ListenerParameters.of(method("withConsumer")))
            .withMessage("@StreamListener method ListenerParametersTests.Methods.withConsumer(String, Consumer) has a parameter that no record"
                    + " can fill: parameter 1 (Consumer consumer): the Kafka consumer belongs to Ackflow's poll thread"
                    + " and must not be used from a handler; pause, resume, seek and commit through AckflowOperations.");
    }

    @Test
    void twoPayloadsFailStartUpNamingBoth() {
        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> ListenerParameters.of(method("twoPayloads")))
            .withMessage("@StreamListener method ListenerParametersTests.Methods.twoPayloads(Order, String) has more than one payload"
                    + " parameter: parameter 0 (Order order) and parameter 1 (String tenant) would both be the"
                    + " record's value.");
        assertThatExceptionOfType(AckflowConfigurationException.class)
            .isThrownBy(() -> ListenerParameters.of(method("messageAndPayload")))
            .withMessageStartingWith("@StreamListener method ListenerParametersTests.Methods.messageAndPayload(Message, Order) has more than"
                    + " one payload parameter: parameter 0 (Message message) and parameter 1 (Order order)");
    }

    @Test
    void theApplicationDoesNotStartWithAListenerThatTakesAnAcknowledgment() {
        this.contextRunner.withBean(AcknowledgingListener.class).run((context) -> {
            FailureAnalysis analysis = analysis(context.getStartupFailure());
            assertThat(analysis.getDescription()).startsWith(
                    "@StreamListener method ListenerParametersTests.AcknowledgingListener.handle(String, Acknowledgment) has a parameter that"
                            + " no record can fill: parameter 1 (Acknowledgment ack)");
        });
    }

    @Test
    void aDeserializerClassThatIsNotOnTheClasspathFailsStartUpNamingTheProperty() {
        this.contextRunner.withBean(PlainListener.class)
            .withPropertyValues("spring.kafka.consumer.properties.value.deserializer=com.example.MissingDeserializer")
            .run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo("spring.kafka.consumer.value-deserializer"
                        + " (value.deserializer) is 'com.example.MissingDeserializer', which is not on the classpath.");
                assertThat(analysis.getAction()).isEqualTo("Correct the class name, or add the library that has it.");
            });
    }

    @Test
    void aClassThatIsNotADeserializerFailsStartUp() {
        this.contextRunner.withBean(PlainListener.class)
            .withPropertyValues("spring.kafka.consumer.key-deserializer=java.lang.String")
            .run((context) -> assertThat(analysis(context.getStartupFailure()).getDescription()).isEqualTo(
                    "spring.kafka.consumer.key-deserializer (key.deserializer) is java.lang.String, which is not an"
                            + " org.apache.kafka.common.serialization.Deserializer."));
    }

    private static FailureAnalysis analysis(Throwable failure) {
        assertThat(failure).isNotNull();
        FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(failure);
        assertThat(analysis).as("an AckflowConfigurationException in " + failure).isNotNull();
        return analysis;
    }

    private static void assertTypes(String name, Class<?> payload, Class<?> key) {
        ListenerParameters parameters = ListenerParameters.of(method(name));
        assertThat(parameters.payloadType()).as(name + " payload").isEqualTo(payload);
        assertThat(parameters.keyType()).as(name + " key").isEqualTo(key);
    }

    private static Method method(String name) {
        return Arrays.stream(Methods.class.getDeclaredMethods())
            .filter((method) -> method.getName().equals(name))
            .findFirst()
            .orElseThrow();
    }

    @SuppressWarnings("unused")
    static class Methods {

        void payloadAndKey(Orders.Order order, @Header(KafkaHeaders.RECEIVED_KEY) Long key) {
        }

        void typedMessage(Message<Orders.Order> message) {
        }

        void anyMessage(Message<?> message) {
        }

        void record(ConsumerRecord<Integer, Orders.Order> record) {
        }

        void headersOnly(@Headers Map<String, Object> headers) {
        }

        void messageHeaders(Orders.Order order, MessageHeaders headers) {
        }

        void nothing() {
        }

        void optionalPayload(@Payload(required = false) Orders.Order order, @Header("tenant") String tenant) {
        }

        void acknowledging(Orders.Order order, Acknowledgment ack) {
        }

        void withConsumer(String value, Consumer<String, String> consumer) {
        }

        void twoPayloads(Orders.Order order, String tenant) {
        }

        void messageAndPayload(Message<String> message, Orders.Order order) {
        }

    }

    static class AcknowledgingListener {

        @StreamListener(topics = "orders")
        void handle(String value, Acknowledgment ack) {
        }

    }

    static class PlainListener {

        @StreamListener(topics = "orders")
        void handle(String value) {
        }

    }

}
