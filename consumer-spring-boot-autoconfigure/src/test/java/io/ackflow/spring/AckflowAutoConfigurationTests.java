package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;
import tools.jackson.databind.json.JsonMapper;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.ProcessingGuarantee;
import io.ackflow.consumer.RebalanceListener;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.dispatch.RawRecords;

import static org.assertj.core.api.Assertions.assertThat;

class AckflowAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false");

    @Test
    void registryPostProcessorAndDeserializersAreConfiguredWithoutListeners() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(StreamListenerRegistry.class)
                .hasSingleBean(StreamListenerAnnotationBeanPostProcessor.class)
                .hasSingleBean(PayloadDeserializers.class)
                .hasSingleBean(AckflowOperations.class);
            assertThat(context.getBean(StreamListenerRegistry.class).getEngine()).isNull();
        });
    }

    @Test
    void operationsFailNamingTheTopicNoConsumerReads() {
        this.contextRunner.run((context) -> {
            AckflowOperations operations = context.getBean(AckflowOperations.class);
            assertThat(operations.pause("orders")).failsWithin(Duration.ofSeconds(1)).withThrowableThat()
                .withMessageContaining("No Ackflow consumer of this application reads [orders]");
            assertThat(operations.commitNow()).failsWithin(Duration.ofSeconds(1)).withThrowableThat()
                .withMessageContaining("No @StreamListener method is registered");
        });
        this.contextRunner.withUserConfiguration(AuditListener.class).run((context) -> assertThat(
                context.getBean(AckflowOperations.class).seek(new TopicPartition("refunds", 0), 5))
            .failsWithin(Duration.ofSeconds(1)).withThrowableThat()
            .withMessageContaining("No Ackflow consumer of this application reads [refunds]"));
    }

    @Test
    void negativeRebalanceDrainTimeoutFailsStartup() {
        this.contextRunner.withPropertyValues("ackflow.rebalance-drain-timeout=-1s").run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("Property 'ackflow.rebalance-drain-timeout' must not be negative, was PT-1S."));
    }

    @Test
    void defaultsAreFaustsCommitSettings() {
        this.contextRunner.run((context) -> {
            EngineConfig config = context.getBean(StreamListenerRegistry.class).getEngineConfig();
            assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(2800));
            assertThat(config.commitEvery()).isEqualTo(10_000);
            assertThat(config.commitLivelockSoftTimeout()).isEqualTo(Duration.ofSeconds(300));
            assertThat(config.shutdownTimeout()).as("Spring Boot's shutdown phase less 5s").isEqualTo(Duration.ofSeconds(25));
            assertThat(config.maxInFlight()).isEqualTo(20_000);
            assertThat(config.maxInFlightPerPartition()).isEqualTo(10_000);
        });
    }

    @Test
    void everyPropertyReachesTheEngine() {
        this.contextRunner
            .withPropertyValues("ackflow.commit-interval=700ms", "ackflow.commit-every=123",
                    "ackflow.commit-livelock-soft-timeout=42s", "ackflow.shutdown-timeout=9s", "ackflow.poll-timeout=250ms",
                    "ackflow.rebalance-drain-timeout=3s",
                    "ackflow.handler-threads=7", "ackflow.virtual-threads=false", "ackflow.max-in-flight.total=900",
                    "ackflow.max-in-flight.per-partition=300", "ackflow.max-in-flight.low-mark=0.25",
                    "ackflow.ordering=KEY", "ackflow.concurrency=5", "ackflow.incomplete-offsets.enabled=false",
                    "ackflow.incomplete-offsets.max-metadata-bytes=1024")
            .withUserConfiguration(AuditListener.class)
            .run((context) -> {
                StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
                EngineConfig config = registry.getEngineConfig();
                assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(700));
                assertThat(config.commitEvery()).isEqualTo(123);
                assertThat(config.commitLivelockSoftTimeout()).isEqualTo(Duration.ofSeconds(42));
                assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofSeconds(9));
                assertThat(config.pollTimeout()).isEqualTo(Duration.ofMillis(250));
                assertThat(config.rebalanceDrainTimeout()).isEqualTo(Duration.ofSeconds(3));
                assertThat(config.handlerThreads()).isEqualTo(7);
                assertThat(config.virtualThreads()).isFalse();
                assertThat(config.maxInFlight()).isEqualTo(900);
                assertThat(config.maxInFlightPerPartition()).isEqualTo(300);
                assertThat(config.lowMark()).isEqualTo(0.25);
                assertThat(config.offsetMaps()).isFalse();
                assertThat(config.offsetMapMaxBytes()).isEqualTo(1024);
                Subscription<?, ?> audit = registry.getEngine().subscriptions().get(0);
                assertThat(audit.ordering()).isEqualTo(Ordering.KEY);
                assertThat(audit.concurrency()).isEqualTo(5);
            });
    }

    @Test
    void autoStartupFalseLeavesTheEngineStopped() {
        this.contextRunner.withUserConfiguration(AuditListener.class).run((context) -> {
            StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
            assertThat(registry.isRunning()).isFalse();
            assertThat(registry.getEngine().state()).isEqualTo(io.ackflow.consumer.EngineState.NEW);
        });
    }

    @Test
    void userRegistryReplacesOurs() {
        this.contextRunner.withUserConfiguration(CustomRegistry.class).run((context) -> {
            assertThat(context).hasSingleBean(StreamListenerRegistry.class);
            assertThat(context.getBean(StreamListenerRegistry.class).getEngineConfig().commitEvery()).isEqualTo(77);
        });
    }

    @Test
    void userDeserializersReplaceOurs() {
        this.contextRunner.withUserConfiguration(CustomDeserializers.class).run((context) -> assertThat(context)
            .getBean(PayloadDeserializers.class).isSameAs(CustomDeserializers.INSTANCE));
    }

    @Test
    void withoutJacksonStringHandlersWorkAndJsonHandlersFailStartupSayingWhatToAdd() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(JsonMapper.class))
            .withUserConfiguration(AuditListener.class)
            .run((context) -> assertThat(context).doesNotHaveBean(PayloadDeserializers.JsonDeserializerFactory.class)
                .hasNotFailed());
        this.contextRunner.withClassLoader(new FilteredClassLoader(JsonMapper.class))
            .withPropertyValues("orders.topic=orders")
            .withUserConfiguration(ChargeListener.class)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo("@StreamListener method"
                        + " AckflowAutoConfigurationTests.ChargeListener.charge(Purchase, String) takes"
                        + " io.ackflow.spring.AckflowAutoConfigurationTests$Purchase, which Ackflow reads as JSON, but"
                        + " Jackson is not on the classpath.");
            });
    }

    @Test
    void userJsonDeserializerFactoryReplacesOurs() {
        this.contextRunner.withPropertyValues("orders.topic=orders")
            .withUserConfiguration(ChargeListener.class, CustomJson.class)
            .run((context) -> {
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                assertThat(subscription(engine, "charge").valueDeserializer()).isSameAs(CustomJson.DESERIALIZER);
            });
    }

    @Test
    void listenerAnnotationIsTurnedIntoASubscription() {
        this.contextRunner.withPropertyValues("orders.topic=orders-v2")
            .withUserConfiguration(AuditListener.class, ChargeListener.class)
            .run((context) -> {
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                assertThat(engine.subscriptions()).extracting(Subscription::id)
                    .containsExactlyInAnyOrder("ackflowAutoConfigurationTests.AuditListener.audit", "charge");
                Subscription<?, ?> charge = subscription(engine, "charge");
                assertThat(charge.topics()).containsExactly("orders-v2", "refunds");
                assertThat(charge.ordering()).isEqualTo(Ordering.KEY);
                assertThat(charge.concurrency()).isEqualTo(64);
                assertThat(charge.keyDeserializer()).isInstanceOf(StringDeserializer.class);
                assertThat(charge.valueDeserializer().getClass().getName()).contains("JacksonJsonDeserializerFactory");
                Subscription<?, ?> audit = subscription(engine, "ackflowAutoConfigurationTests.AuditListener.audit");
                assertThat(audit.ordering()).isEqualTo(Ordering.PARTITION);
                assertThat(audit.concurrency()).isEqualTo(16);
                assertThat(audit.keyDeserializer()).isSameAs(RawRecords.DESERIALIZER);
                assertThat(audit.valueDeserializer()).isInstanceOf(StringDeserializer.class);
            });
    }

    @Test
    void handlersOfTheSameTypesShareOneDeserializer() {
        this.contextRunner.withPropertyValues("orders.topic=orders")
            .withUserConfiguration(ChargeListener.class, RecordListener.class)
            .run((context) -> {
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                Subscription<?, ?> charge = subscription(engine, "charge");
                Subscription<?, ?> record = subscription(engine, "ackflowAutoConfigurationTests.RecordListener.onRecord");
                assertThat(record.keyDeserializer()).isSameAs(charge.keyDeserializer());
                assertThat(record.valueDeserializer()).isSameAs(charge.valueDeserializer());
            });
    }

    @Test
    void rebalanceListenerBeansAreRegisteredInOrder() {
        this.contextRunner.withUserConfiguration(AuditListener.class, RebalanceListeners.class).run((context) -> {
            AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
            assertThat(engine.rebalanceListeners()).containsExactly(context.getBean("first", RebalanceListener.class),
                    context.getBean("second", RebalanceListener.class));
        });
    }

    @Test
    void listenersShareOneConsumerUnlessPlacedOnANamedOne() {
        this.contextRunner
            .withPropertyValues("orders.topic=orders", "ackflow.consumers.payments.listeners=charge",
                    "ackflow.consumers.payments.group-id=payments-group")
            .withUserConfiguration(AuditListener.class, ChargeListener.class, RecordListener.class)
            .run((context) -> {
                StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
                assertThat(registry.getEngines()).containsOnlyKeys("ackflow", "payments");
                assertThat(registry.getEngines().get("ackflow").subscriptions()).extracting(Subscription::id)
                    .containsExactly("ackflowAutoConfigurationTests.AuditListener.audit",
                            "ackflowAutoConfigurationTests.RecordListener.onRecord");
                assertThat(registry.getEngines().get("payments").subscriptions()).extracting(Subscription::id)
                    .containsExactly("charge");
                assertThat(registry.getEngine()).isSameAs(registry.getEngines().get("ackflow"));
                assertThat(registry.consumerConfigs("ackflow")).containsEntry("group.id", "test-group");
                assertThat(registry.consumerConfigs("payments")).containsEntry("group.id", "payments-group")
                    .containsEntry("enable.auto.commit", false);
            });
    }

    @Test
    void namedConsumerDefaultsToAGroupOfItsOwn() {
        this.contextRunner.withPropertyValues("orders.topic=orders", "ackflow.consumers.payments.listeners=charge")
            .withUserConfiguration(AuditListener.class, ChargeListener.class)
            .run((context) -> assertThat(context.getBean(StreamListenerRegistry.class).consumerConfigs("payments"))
                .containsEntry("group.id", "test-group-payments"));
    }

    @Test
    void twoConsumersOfOneGroupOnOneTopicFailStartup() {
        this.contextRunner
            .withPropertyValues("orders.topic=orders", "ackflow.consumers.payments.listeners=charge",
                    "ackflow.consumers.payments.group-id=test-group")
            .withUserConfiguration(AuditListener.class, ChargeListener.class)
            .run((context) -> assertThat(analysis(context.getStartupFailure()).getDescription())
                .isEqualTo("The Ackflow consumers 'ackflow' and 'payments' are both in the group 'test-group' and"
                        + " both read the topic 'orders': they would split its partitions, and each handler would see"
                        + " only part of the records."));
    }

    @Test
    void namedConsumerListingAnUnknownListenerFailsStartup() {
        this.contextRunner.withPropertyValues("ackflow.consumers.payments.listeners=chrage")
            .withUserConfiguration(AuditListener.class)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo("Property 'ackflow.consumers.payments.listeners' names"
                        + " the listener 'chrage', but no @StreamListener method has that id; the ids are"
                        + " [ackflowAutoConfigurationTests.AuditListener.audit].");
            });
    }

    @Test
    void exactlyOnceMakesATransactionalProducerPerConsumerAndReadsCommittedRecords() {
        this.contextRunner
            .withPropertyValues("ackflow.processing-guarantee=EXACTLY_ONCE", "spring.kafka.producer.transaction-id-prefix=app-7-")
            .withUserConfiguration(AuditListener.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
                assertThat(registry.getEngineConfig().processingGuarantee()).isEqualTo(ProcessingGuarantee.EXACTLY_ONCE);
                assertThat(registry.consumerConfigs("ackflow")).containsEntry("isolation.level", "read_committed");
            });
    }

    @Test
    void atLeastOnceIsTheDefaultAndLeavesTheIsolationLevelAlone() {
        this.contextRunner.withUserConfiguration(AuditListener.class).run((context) -> {
            StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
            assertThat(registry.getEngineConfig().processingGuarantee()).isEqualTo(ProcessingGuarantee.AT_LEAST_ONCE);
            assertThat(registry.consumerConfigs("ackflow")).containsEntry("isolation.level", "read_uncommitted");
        });
    }

    @Test
    void exactlyOnceWithoutATransactionIdPrefixFailsStartupNamingIt() {
        this.contextRunner.withPropertyValues("ackflow.processing-guarantee=EXACTLY_ONCE")
            .withUserConfiguration(AuditListener.class)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo("ackflow.processing-guarantee is EXACTLY_ONCE, but the"
                        + " Kafka producer is not transactional: handlers' sends and the consumed offsets can only be"
                        + " committed together in a Kafka transaction.");
                assertThat(analysis.getAction()).startsWith("Set spring.kafka.producer.transaction-id-prefix to a prefix"
                        + " unique to each instance of the application");
            });
    }

    @Test
    void exactlyOnceReadingUncommittedRecordsFailsStartupNamingTheProperty() {
        for (String property : List.of("spring.kafka.consumer.isolation-level=read-uncommitted",
                "spring.kafka.consumer.properties.isolation.level=read_uncommitted",
                "spring.kafka.properties.isolation.level=READ_UNCOMMITTED")) {
            String name = property.substring(0, property.indexOf('='));
            this.contextRunner
                .withPropertyValues("ackflow.processing-guarantee=EXACTLY_ONCE",
                        "spring.kafka.producer.transaction-id-prefix=app-7-", property)
                .withUserConfiguration(AuditListener.class)
                .run((context) -> {
                    FailureAnalysis analysis = analysis(context.getStartupFailure());
                    assertThat(analysis.getDescription()).startsWith("ackflow.processing-guarantee is EXACTLY_ONCE, but "
                            + name + " is '").contains("would read records of transactions that are aborted later");
                    assertThat(analysis.getAction()).startsWith("Remove " + name + " or set it to read_committed");
                });
        }
    }

    @Test
    void exactlyOnceAcceptsAnExplicitReadCommitted() {
        this.contextRunner
            .withPropertyValues("ackflow.processing-guarantee=EXACTLY_ONCE", "spring.kafka.producer.transaction-id-prefix=p-",
                    "spring.kafka.consumer.isolation-level=read-committed")
            .withUserConfiguration(AuditListener.class)
            .run((context) -> assertThat(context).hasNotFailed());
    }

    @Test
    void negativeCommitIntervalFailsStartupNamingTheProperty() {
        this.contextRunner.withPropertyValues("ackflow.commit-interval=-1s").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(analysis(context.getStartupFailure()).getDescription())
                .isEqualTo("Property 'ackflow.commit-interval' must be a positive duration, was PT-1S.");
            assertThat(analysis(context.getStartupFailure()).getAction()).isEqualTo(
                    "Change 'ackflow.commit-interval' in application.yml or application.properties: it must be a"
                            + " positive duration.");
        });
    }

    @Test
    void concurrencyZeroFailsStartupNamingTheProperty() {
        this.contextRunner.withPropertyValues("ackflow.concurrency=0").run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("Property 'ackflow.concurrency' must be at least 1, was 0."));
    }

    @Test
    void lowMarkOutOfRangeFailsStartupNamingTheNestedProperty() {
        this.contextRunner.withPropertyValues("ackflow.max-in-flight.low-mark=1.5").run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("Property 'ackflow.max-in-flight.low-mark' must be above 0 and below 1, was 1.5."));
    }

    @Test
    void aMetadataLimitTooSmallForAnyOffsetMapFailsStartup() {
        this.contextRunner.withPropertyValues("ackflow.incomplete-offsets.max-metadata-bytes=8").run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("Property 'ackflow.incomplete-offsets.max-metadata-bytes' must be at least 16, was 8."));
    }

    @Test
    void offsetMapsAreOnByDefaultWithKafkasMetadataLimit() {
        this.contextRunner.run((context) -> {
            EngineConfig config = context.getBean(StreamListenerRegistry.class).getEngineConfig();
            assertThat(config.offsetMaps()).isTrue();
            assertThat(config.offsetMapMaxBytes()).isEqualTo(4096);
        });
    }

    @Test
    void perPartitionBoundZeroFailsStartup() {
        this.contextRunner.withPropertyValues("ackflow.max-in-flight.per-partition=0").run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("Property 'ackflow.max-in-flight.per-partition' must be at least 1, was 0."));
    }

    @Test
    void unknownOrderingFailsStartupNamingThePropertyAndValue() {
        this.contextRunner.withPropertyValues("ackflow.ordering=SIDEWAYS").run((context) -> {
            assertThat(context).hasFailed();
            Throwable cause = context.getStartupFailure();
            while (!(cause instanceof BindException)) {
                cause = cause.getCause();
            }
            BindException bind = (BindException) cause;
            assertThat(bind.getProperty().getName().toString()).isEqualTo("ackflow.ordering");
            assertThat(bind.getProperty().getValue()).isEqualTo("SIDEWAYS");
            assertThat(bind).rootCause().hasMessageContaining("SIDEWAYS");
        });
    }

    @Test
    void listenerWhoseTopicsResolveToNothingFailsStartupNamingTheMethod() {
        this.contextRunner.withPropertyValues("orders.topic=").withUserConfiguration(ChargeOnlyPlaceholder.class)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo(
                        "@StreamListener method AckflowAutoConfigurationTests.ChargeOnlyPlaceholder.charge(String) has no topic: its topics"
                                + " [${orders.topic}] resolve to nothing.");
                assertThat(analysis.getAction()).contains("AckflowAutoConfigurationTests.ChargeOnlyPlaceholder.charge(String)");
            });
    }

    @Test
    void listenerWithConcurrencyZeroFailsStartupNamingTheMethod() {
        this.contextRunner.withUserConfiguration(ZeroConcurrency.class).run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("@StreamListener method AckflowAutoConfigurationTests.ZeroConcurrency.handle(String) has concurrency 0; concurrency must be"
                    + " at least 1."));
    }

    @Test
    void duplicateIdsFailStartupNamingBothMethods() {
        this.contextRunner.withUserConfiguration(DuplicateIds.class).run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .isEqualTo("Two @StreamListener methods have the id 'same': @StreamListener method"
                    + " AckflowAutoConfigurationTests.DuplicateIds.one(String) and @StreamListener method"
                    + " AckflowAutoConfigurationTests.DuplicateIds.two(String)."));
    }

    @Test
    void listenersOfOneBeanAreRegisteredInTheOrderOfTheirMethodNamesOnEveryJdk() {
        // alpha, mid, zeta: neither the order of declaration nor that of the ids
        this.contextRunner.withUserConfiguration(ThreeListeners.class).run((context) -> {
            StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
            assertThat(registry.getEndpoints()).extracting(StreamListenerEndpoint::id)
                .containsExactly("charge", "audit", "billing");
            assertThat(registry.getEngine().subscriptions()).extracting(Subscription::id)
                .containsExactly("charge", "audit", "billing");
        });
    }

    @Test
    void listenerReturningAValueFailsStartup() {
        this.contextRunner.withUserConfiguration(ReturnsString.class).run((context) -> assertThat(
                analysis(context.getStartupFailure()).getDescription())
            .startsWith("@StreamListener method AckflowAutoConfigurationTests.ReturnsString.handle(String) returns String"));
    }

    @Test
    void autoCommitTrueFailsStartupSayingWhy() {
        assertAutoCommitRefused("spring.kafka.consumer.enable-auto-commit=true");
    }

    @Test
    void autoCommitTrueThroughConsumerPropertiesFailsStartup() {
        assertAutoCommitRefused("spring.kafka.consumer.properties.enable.auto.commit=true");
        assertAutoCommitRefused("spring.kafka.consumer.properties[enable.auto.commit]= TRUE");
    }

    @Test
    void autoCommitTrueThroughCommonPropertiesFailsStartup() {
        assertAutoCommitRefused("spring.kafka.properties.enable.auto.commit=true");
    }

    @Test
    void autoCommitOnAlsoFailsStartupOfANamedConsumer() {
        this.contextRunner
            .withPropertyValues("spring.kafka.consumer.enable-auto-commit=true", "orders.topic=orders",
                    "ackflow.consumers.payments.listeners=charge")
            .withUserConfiguration(ChargeListener.class)
            .run((context) -> assertThat(analysis(context.getStartupFailure()).getDescription())
                .startsWith("Kafka auto-commit is enabled (enable.auto.commit=true)"));
    }

    @Test
    void autoCommitFalseAndAnyOffsetResetStart() {
        for (String reset : new String[] { "earliest", "latest", "none" }) {
            this.contextRunner
                .withPropertyValues("spring.kafka.consumer.enable-auto-commit=false",
                        "spring.kafka.consumer.auto-offset-reset=" + reset)
                .withUserConfiguration(AuditListener.class)
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(StreamListenerRegistry.class).consumerConfigs("ackflow"))
                        .containsEntry("enable.auto.commit", false).containsEntry("auto.offset.reset", reset);
                });
        }
    }

    private void assertAutoCommitRefused(String property) {
        this.contextRunner.withPropertyValues(property).withUserConfiguration(AuditListener.class).run((context) -> {
            assertThat(context).as(property).hasFailed();
            FailureAnalysis analysis = analysis(context.getStartupFailure());
            assertThat(analysis.getDescription()).as(property).isEqualTo("Kafka auto-commit is enabled"
                    + " (enable.auto.commit=true), but Ackflow commits offsets itself: a record is committed only once"
                    + " every handler is done with it, and auto-commit would commit records still in progress (lost if"
                    + " the application stops).");
            assertThat(analysis.getAction()).as(property).isEqualTo("Remove spring.kafka.consumer.enable-auto-commit,"
                    + " spring.kafka.consumer.properties.enable.auto.commit and spring.kafka.properties.enable.auto.commit"
                    + " (or set them to false), or the enable.auto.commit of your ConsumerFactory bean: Ackflow turns"
                    + " auto-commit off itself.");
        });
    }

    @Test
    void missingGroupIdFailsStartup() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
            .withUserConfiguration(AuditListener.class)
            .run((context) -> assertThat(analysis(context.getStartupFailure()).getAction())
                .isEqualTo("Set spring.kafka.consumer.group-id."));
    }

    private static Subscription<?, ?> subscription(AckflowEngine engine, String id) {
        return engine.subscriptions().stream().filter((s) -> s.id().equals(id)).findFirst().orElseThrow();
    }

    private static FailureAnalysis analysis(Throwable failure) {
        assertThat(failure).isNotNull();
        Throwable cause = failure;
        while (cause != null && !(cause instanceof AckflowConfigurationException)) {
            cause = cause.getCause();
        }
        assertThat(cause).as("an AckflowConfigurationException in " + failure).isNotNull();
        FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(failure);
        assertThat(analysis).isNotNull();
        return analysis;
    }

    @Configuration(proxyBeanMethods = false)
    static class AuditListener {

        @StreamListener(topics = "orders")
        void audit(String order) {
        }

    }

    record Purchase(String id, long cents) {
    }

    @Configuration(proxyBeanMethods = false)
    static class ChargeListener {

        @StreamListener(id = "charge", topics = { "${orders.topic}", "refunds" }, ordering = Ordering.KEY,
                concurrency = 64)
        CompletableFuture<Void> charge(Purchase order, @Header(KafkaHeaders.RECEIVED_KEY) String customer) {
            return CompletableFuture.completedFuture(null);
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class RecordListener {

        @StreamListener(topics = "orders")
        void onRecord(ConsumerRecord<String, Purchase> record) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ChargeOnlyPlaceholder {

        @StreamListener(topics = "${orders.topic}")
        void charge(String order) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ZeroConcurrency {

        @StreamListener(topics = "orders", concurrency = 0)
        void handle(String order) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class DuplicateIds {

        @StreamListener(id = "same", topics = "orders")
        void one(String order) {
        }

        @StreamListener(id = "same", topics = "orders")
        void two(String order) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ThreeListeners {

        @StreamListener(id = "billing", topics = "orders")
        void zeta(String order) {
        }

        @StreamListener(id = "charge", topics = "orders")
        void alpha(String order) {
        }

        @StreamListener(id = "audit", topics = "orders")
        void mid(String order) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ReturnsString {

        @StreamListener(topics = "orders")
        String handle(String order) {
            return order;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class CustomRegistry {

        @Bean
        StreamListenerRegistry streamListenerRegistry(org.springframework.beans.factory.BeanFactory beanFactory) {
            AckflowProperties properties = new AckflowProperties();
            properties.setCommitEvery(77);
            return new StreamListenerRegistry(properties, null, new PayloadDeserializers(null), List.of(), beanFactory);
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class CustomJson {

        static final org.apache.kafka.common.serialization.Deserializer<Object> DESERIALIZER = (topic, data) -> null;

        @Bean
        PayloadDeserializers.JsonDeserializerFactory jsonDeserializerFactory() {
            return (type) -> DESERIALIZER;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class CustomDeserializers {

        static final PayloadDeserializers INSTANCE = new PayloadDeserializers(null);

        @Bean
        PayloadDeserializers payloadDeserializers() {
            return INSTANCE;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class RebalanceListeners {

        private final List<String> heard = new ArrayList<>();

        @Bean
        @Order(2)
        RebalanceListener second() {
            return new RebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    RebalanceListeners.this.heard.add("second");
                }
            };
        }

        @Bean
        @Order(1)
        RebalanceListener first() {
            return new RebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    RebalanceListeners.this.heard.add("first");
                }
            };
        }

    }

}
