package io.ackflow.spring;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.micrometer.common.KeyValues;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.support.micrometer.KafkaListenerObservationConvention;
import org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext;

import io.ackflow.consumer.RecordHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Whether handlers are observed: {@code ackflow.observation-enabled} when set, else
 * {@code spring.kafka.listener.observation-enabled}, off when neither is set, and never without an
 * {@code ObservationRegistry}; and what an observation carries. Handlers are called directly, as
 * the engine calls them, without a broker.
 */
class ListenerObservationsConfigurationTests {

    private static final String LISTENER_OBSERVATION = "spring.kafka.listener";

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false")
        .withUserConfiguration(AuditListener.class, Observations.class);

    @Test
    void handlersAreNotObservedWhenNeitherPropertyIsSet() {
        this.contextRunner.run((context) -> {
            assertThat(handler(context)).isInstanceOf(MethodRecordHandler.class);
            handle(context);
            assertThat(context.getBean(TestObservationRegistry.class)).doesNotHaveAnyObservation();
        });
    }

    @Test
    void springKafkaListenerObservationEnabledObservesEachHandlerCall() {
        this.contextRunner.withPropertyValues("spring.kafka.listener.observation-enabled=true").run((context) -> {
            handle(context);
            assertThat(context.getBean(TestObservationRegistry.class))
                .hasNumberOfObservationsWithNameEqualTo(LISTENER_OBSERVATION, 1);
        });
    }

    @Test
    void ackflowObservationEnabledObservesWithoutTheSpringKafkaProperty() {
        this.contextRunner.withPropertyValues("ackflow.observation-enabled=true").run((context) -> {
            handle(context);
            assertThat(context.getBean(TestObservationRegistry.class))
                .hasNumberOfObservationsWithNameEqualTo(LISTENER_OBSERVATION, 1);
        });
    }

    @Test
    void ackflowObservationDisabledOverridesSpringKafkaListenerObservationEnabled() {
        this.contextRunner
            .withPropertyValues("spring.kafka.listener.observation-enabled=true", "ackflow.observation-enabled=false")
            .run((context) -> {
                assertThat(handler(context)).isInstanceOf(MethodRecordHandler.class);
                handle(context);
                assertThat(context.getBean(TestObservationRegistry.class)).doesNotHaveAnyObservation();
            });
    }

    @Test
    void ackflowObservationEnabledOverridesSpringKafkaListenerObservationDisabled() {
        this.contextRunner
            .withPropertyValues("spring.kafka.listener.observation-enabled=false", "ackflow.observation-enabled=true")
            .run((context) -> {
                handle(context);
                assertThat(context.getBean(TestObservationRegistry.class))
                    .hasNumberOfObservationsWithNameEqualTo(LISTENER_OBSERVATION, 1);
            });
    }

    @Test
    void withoutAnObservationRegistryHandlersAreLeftAsTheyAre() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
            .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false",
                    "ackflow.observation-enabled=true")
            .withUserConfiguration(AuditListener.class)
            .run((context) -> assertThat(handler(context)).isInstanceOf(MethodRecordHandler.class));
    }

    @Test
    void observationCarriesSpringKafkasNameTagsAndTheConsumersGroupClientAndCluster() {
        this.contextRunner
            .withPropertyValues("ackflow.observation-enabled=true", "spring.kafka.consumer.client-id=audit-client")
            .run((context) -> {
                handle(context);
                assertThat(context.getBean(TestObservationRegistry.class))
                    .hasObservationWithNameEqualTo(LISTENER_OBSERVATION)
                    .that()
                    .hasBeenStarted()
                    .hasBeenStopped()
                    .doesNotHaveError()
                    .hasContextualNameEqualTo("orders process")
                    .hasLowCardinalityKeyValue("spring.kafka.listener.id", "audit")
                    .hasLowCardinalityKeyValue("messaging.system", "kafka")
                    .hasLowCardinalityKeyValue("messaging.operation", "process")
                    .hasLowCardinalityKeyValue("messaging.source.name", "orders")
                    .hasLowCardinalityKeyValue("messaging.kafka.consumer.group", "test-group")
                    .hasHighCardinalityKeyValue("messaging.kafka.client_id", "audit-client")
                    .hasHighCardinalityKeyValue("messaging.kafka.source.partition", "2")
                    .hasHighCardinalityKeyValue("messaging.kafka.message.offset", "7")
                    .satisfies((observed) -> assertThat(((KafkaRecordReceiverContext) observed).getRemoteServiceName())
                        .isEqualTo("Apache Kafka: " + FixedClusterAdmin.CLUSTER_ID));
            });
    }

    @Test
    void theApplicationsConventionNamesAndTagsTheObservations() {
        this.contextRunner.withPropertyValues("ackflow.observation-enabled=true")
            .withUserConfiguration(CustomConvention.class)
            .run((context) -> {
                handle(context);
                assertThat(context.getBean(TestObservationRegistry.class)).hasObservationWithNameEqualTo("orders.handled")
                    .that()
                    .hasBeenStopped()
                    .hasLowCardinalityKeyValue("listener", "audit");
            });
    }

    @Test
    void theObservationIsCurrentWhileTheMethodRunsAndStopsWhenItsFutureCompletesWithItsError() {
        this.contextRunner.withPropertyValues("ackflow.observation-enabled=true").run((context) -> {
            AuditListener listener = context.getBean(AuditListener.class);
            TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
            listener.pending = new CompletableFuture<>();
            CompletionStage<?> stage = handle(context);

            assertThat(listener.currentWhileRunning).isInstanceOf(KafkaRecordReceiverContext.class);
            assertThat(registry.getCurrentObservation()).as("scope closed when the method returned").isNull();
            assertThat(registry).hasObservationWithNameEqualTo(LISTENER_OBSERVATION).that().hasBeenStarted()
                .isNotStopped();
            assertThat(stage).isNotDone();

            IllegalStateException declined = new IllegalStateException("declined");
            listener.pending.completeExceptionally(declined);
            assertThat(registry).hasObservationWithNameEqualTo(LISTENER_OBSERVATION).that().hasBeenStopped()
                .hasError(declined);
            assertThat(stage).isCompletedExceptionally();
        });
    }

    @Test
    void aHandlerThatThrowsHasItsExceptionRecordedAndRethrown() {
        this.contextRunner.withPropertyValues("ackflow.observation-enabled=true").run((context) -> {
            IllegalArgumentException rejected = new IllegalArgumentException("rejected");
            context.getBean(AuditListener.class).failure = rejected;
            assertThat(catchThrowable(() -> handle(context))).isSameAs(rejected);
            assertThat(context.getBean(TestObservationRegistry.class)).hasObservationWithNameEqualTo(LISTENER_OBSERVATION)
                .that()
                .hasBeenStopped()
                .hasError(rejected);
        });
    }

    @SuppressWarnings("unchecked")
    private static RecordHandler<Object, Object> handler(AssertableApplicationContext context) {
        return (RecordHandler<Object, Object>) context.getBean(StreamListenerRegistry.class).getEngine().subscriptions()
            .get(0)
            .handler();
    }

    /** Calls the handler on orders-2@7, as a handler thread does. */
    private static CompletionStage<?> handle(AssertableApplicationContext context) throws Exception {
        return handler(context).handle(new ConsumerRecord<>("orders", 2, 7L, 0L, TimestampType.CREATE_TIME, 3, 5, "key",
                "order", new RecordHeaders(), Optional.empty()));
    }

    @Configuration(proxyBeanMethods = false)
    static class AuditListener {

        private final TestObservationRegistry registry;

        volatile CompletableFuture<Void> pending;

        volatile RuntimeException failure;

        volatile Object currentWhileRunning;

        AuditListener(ObjectProvider<TestObservationRegistry> registry) {
            this.registry = registry.getIfAvailable(TestObservationRegistry::create);
        }

        @StreamListener(id = "audit", topics = "orders")
        CompletableFuture<Void> audit(String order) {
            this.currentWhileRunning = (this.registry.getCurrentObservation() != null)
                    ? this.registry.getCurrentObservation().getContext() : null;
            if (this.failure != null) {
                throw this.failure;
            }
            return (this.pending != null) ? this.pending : CompletableFuture.completedFuture(null);
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class Observations {

        @Bean
        TestObservationRegistry observationRegistry() {
            return TestObservationRegistry.create();
        }

        @Bean
        KafkaAdmin kafkaAdmin() {
            return new FixedClusterAdmin();
        }

    }

    /** An admin that knows its cluster without asking a broker. */
    static class FixedClusterAdmin extends KafkaAdmin {

        static final String CLUSTER_ID = "fixed-cluster";

        FixedClusterAdmin() {
            super(Map.of("bootstrap.servers", List.of("localhost:9092")));
        }

        @Override
        public String clusterId() {
            return CLUSTER_ID;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class CustomConvention {

        @Bean
        KafkaListenerObservationConvention ordersConvention() {
            return new KafkaListenerObservationConvention() {

                @Override
                public String getName() {
                    return "orders.handled";
                }

                @Override
                public KeyValues getLowCardinalityKeyValues(KafkaRecordReceiverContext context) {
                    return KeyValues.of("listener", context.getListenerId());
                }

            };
        }

    }

}
