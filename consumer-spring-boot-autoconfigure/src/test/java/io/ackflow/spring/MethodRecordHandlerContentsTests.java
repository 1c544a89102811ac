package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;

import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A {@code @StreamListener} method whose arguments cannot be resolved fails with an exception
 * that names the record by its coordinates: spring-messaging's own exceptions carry the whole
 * message (payload and headers, the key among them) in their text, and the engine logs the
 * failure at WARN.
 */
class MethodRecordHandlerContentsTests {

    private static final String SECRET = "s3cr3t-4111111111111111";

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false")
        .withUserConfiguration(TenantListener.class);

    @Test
    void aMissingHeaderFailsNamingTheRecordsCoordinatesNotItsContents() {
        this.contextRunner.run((context) -> {
            Subscription<?, ?> subscription = context.getBean(StreamListenerRegistry.class).getEngine().subscriptions()
                .get(0);
            Throwable failure = catchThrowable(() -> handle(subscription));
            assertThat(failure).isInstanceOf(ListenerArgumentException.class)
                .hasMessage("@StreamListener 'tenants' cannot resolve its arguments for orders-3@42: Missing header"
                        + " 'tenant' for method parameter type [class java.lang.String] (MessageHandlingException)");
            assertThat(((ListenerArgumentException) failure).getResolutionFailure())
                .isEqualTo(org.springframework.messaging.MessageHandlingException.class.getName());
            assertThat(failure.toString()).doesNotContain(SECRET);
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                assertThat(cause.toString()).as(cause.getClass().getName()).doesNotContain(SECRET);
                assertThat(cause.getSuppressed()).isEmpty();
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static void handle(Subscription<?, ?> subscription) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        headers.add("authorization", ("Bearer " + SECRET).getBytes(StandardCharsets.UTF_8));
        ConsumerRecord<Object, Object> record = new ConsumerRecord<>("orders", 3, 42, 0L, TimestampType.CREATE_TIME,
                -1, -1, "customer-" + SECRET, "{\"card\": \"" + SECRET + "\"}", headers, Optional.empty());
        ((RecordHandler<Object, Object>) subscription.handler()).handle(record);
    }

    @Configuration(proxyBeanMethods = false)
    static class TenantListener {

        @StreamListener(id = "tenants", topics = "orders")
        void handle(String order, @Header(KafkaHeaders.RECEIVED_KEY) String customer, @Header("tenant") String tenant) {
        }

    }

}
