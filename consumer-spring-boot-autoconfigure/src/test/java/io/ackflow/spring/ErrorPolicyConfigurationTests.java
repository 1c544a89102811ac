package io.ackflow.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;

import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ackflow.errors} and {@code ackflow.listeners.<id>.errors}: how they become each
 * listener's error policy, and the start-up failure for each bad value.
 */
class ErrorPolicyConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false")
        .withUserConfiguration(Listeners.class);

    @Test
    void byDefaultAFailedRecordIsSkippedWithoutRetry() {
        this.contextRunner.run((context) -> {
            ErrorPolicy policy = policy(context.getBean(StreamListenerRegistry.class), "audit");
            assertThat(policy.recovery()).isEqualTo(Recovery.SKIP);
            assertThat(delays(policy.backOff())).isEmpty();
            assertThat(policy.notRetryable()).as("as spring-kafka's DefaultErrorHandler").containsExactly(
                    ListenerArgumentException.class,
                    org.springframework.messaging.handler.invocation.MethodArgumentResolutionException.class,
                    org.springframework.messaging.converter.MessageConversionException.class,
                    org.springframework.core.convert.ConversionException.class,
                    org.springframework.kafka.support.serializer.DeserializationException.class,
                    NoSuchMethodException.class, ClassCastException.class);
        });
    }

    @Test
    void aListenersOwnSettingsOverrideTheGlobalOnesValueByValue() {
        this.contextRunner
            .withPropertyValues("ackflow.errors.recovery=stop", "ackflow.errors.retry.attempts=4",
                    "ackflow.errors.retry.delay=100ms", "ackflow.errors.retry.multiplier=2",
                    "ackflow.errors.retry.max-delay=300ms", "ackflow.listeners.charge.errors.recovery=dead-letter",
                    "ackflow.listeners.charge.errors.retry.attempts=2")
            .run((context) -> {
                StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
                ErrorPolicy audit = policy(registry, "audit");
                assertThat(audit.recovery()).isEqualTo(Recovery.STOP);
                assertThat(delays(audit.backOff())).containsExactly(100L, 200L, 300L);
                ErrorPolicy charge = policy(registry, "charge");
                assertThat(charge.recovery()).isEqualTo(Recovery.DEAD_LETTER);
                assertThat(charge.deadLetterPublisher()).isNotNull();
                assertThat(delays(charge.backOff())).containsExactly(100L);
            });
    }

    @Test
    void aMultiplierOfOneWaitsTheSameBeforeEachRetry() {
        this.contextRunner.withPropertyValues("ackflow.errors.retry.attempts=3", "ackflow.errors.retry.delay=50ms")
            .run((context) -> assertThat(delays(policy(context.getBean(StreamListenerRegistry.class), "audit").backOff()))
                .containsExactly(50L, 50L));
    }

    @Test
    void notRetryableTypesAreClassesAndAListenersListReplacesTheGlobalOne() {
        this.contextRunner
            .withPropertyValues("ackflow.errors.not-retryable=java.lang.IllegalArgumentException",
                    "ackflow.listeners.charge.errors.not-retryable=java.lang.ArithmeticException")
            .run((context) -> {
                StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
                ErrorPolicy audit = policy(registry, "audit");
                assertThat(audit.isRetryable(new NumberFormatException())).as("a subtype").isFalse();
                assertThat(audit.isRetryable(new IllegalStateException(new IllegalArgumentException()))).as("a cause")
                    .isFalse();
                assertThat(audit.isRetryable(new ArithmeticException())).isTrue();
                ErrorPolicy charge = policy(registry, "charge");
                assertThat(charge.isRetryable(new IllegalArgumentException())).isTrue();
                assertThat(charge.isRetryable(new ArithmeticException())).isFalse();
            });
    }

    @Test
    void listenerIdsWithDotsAreWrittenInBrackets() {
        this.contextRunner.withPropertyValues("ackflow.listeners[orders.v2].errors.recovery=stop")
            .withUserConfiguration(DottedId.class)
            .run((context) -> assertThat(policy(context.getBean(StreamListenerRegistry.class), "orders.v2").recovery())
                .isEqualTo(Recovery.STOP));
    }

    @Test
    void attemptsBelowOneFailStartupNamingTheGlobalProperty() {
        assertDescription("ackflow.errors.retry.attempts=0",
                "Property 'ackflow.errors.retry.attempts' must be at least 1 (1 means no retry), was 0.");
    }

    @Test
    void aBadListenerValueFailsStartupNamingTheListenersProperty() {
        assertDescription("ackflow.listeners.charge.errors.retry.delay=-5ms",
                "Property 'ackflow.listeners.charge.errors.retry.delay' must not be negative, was PT-0.005S.");
    }

    @Test
    void aMultiplierBelowOneFailsStartup() {
        assertDescription("ackflow.errors.retry.multiplier=0.5",
                "Property 'ackflow.errors.retry.multiplier' must be at least 1, was 0.5.");
    }

    @Test
    void aMaxDelayBelowTheDelayOfAGrowingBackOffFailsStartup() {
        this.contextRunner.withPropertyValues("ackflow.errors.retry.multiplier=2", "ackflow.errors.retry.max-delay=10ms")
            .run((context) -> assertThat(analysis(context.getStartupFailure()).getDescription()).isEqualTo(
                    "Property 'ackflow.errors.retry.max-delay' must be at least the retry delay (PT1S), was PT0.01S."));
    }

    @Test
    void aLongDelayWithTheDefaultCapWaitsTheDelay() {
        this.contextRunner
            .withPropertyValues("ackflow.listeners.charge.errors.retry.attempts=3",
                    "ackflow.listeners.charge.errors.retry.delay=45s", "ackflow.listeners.charge.errors.retry.multiplier=2")
            .run((context) -> assertThat(delays(policy(context.getBean(StreamListenerRegistry.class), "charge").backOff()))
                .containsExactly(45_000L, 45_000L));
    }

    @Test
    void aFixedBackOffIgnoresTheCap() {
        this.contextRunner
            .withPropertyValues("ackflow.errors.retry.attempts=2", "ackflow.errors.retry.delay=45s")
            .run((context) -> assertThat(delays(policy(context.getBean(StreamListenerRegistry.class), "audit").backOff()))
                .containsExactly(45_000L));
    }

    @Test
    void aZeroDeadLetterRetryIntervalFailsStartup() {
        assertDescription("ackflow.errors.dead-letter.retry-interval=0s",
                "Property 'ackflow.errors.dead-letter.retry-interval' must be a positive duration, was PT0S.");
    }

    @Test
    void aBlankDeadLetterTopicFailsStartup() {
        assertDescription("ackflow.listeners.charge.errors.dead-letter.topic= ",
                "Property 'ackflow.listeners.charge.errors.dead-letter.topic' must name a topic, was ''.");
    }

    @Test
    void settingsForAnUnknownListenerFailStartup() {
        assertDescription("ackflow.listeners.chrage.errors.recovery=stop", "Properties 'ackflow.listeners.chrage.*' are"
                + " set, but no @StreamListener method has the id 'chrage'; the ids are [audit, charge].");
    }

    @Test
    void deadLettersWithoutAProducerFactoryFailStartupSayingWhatToAdd() {
        withoutAProducerFactory("ackflow.errors.recovery=dead-letter").run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo("The @StreamListener methods 'audit', 'charge' send"
                        + " failed records to a dead-letter topic, but there is no Kafka ProducerFactory to send with.");
                assertThat(analysis.getAction()).isEqualTo("Add spring-boot-kafka (through"
                        + " io.ackflow:consumer-spring-boot-starter) or define a ProducerFactory bean, or choose another"
                        + " recovery for them (ackflow.errors.recovery, or ackflow.listeners.audit.errors.recovery,"
                        + " ackflow.listeners.charge.errors.recovery).");
            });
    }

    @Test
    void deadLettersOfOneListenerWithoutAProducerFactoryFailStartupNamingThatListenerOnly() {
        withoutAProducerFactory("ackflow.listeners.charge.errors.recovery=dead-letter").run((context) -> {
                FailureAnalysis analysis = analysis(context.getStartupFailure());
                assertThat(analysis.getDescription()).isEqualTo("The @StreamListener 'charge' sends failed records to a"
                        + " dead-letter topic, but there is no Kafka ProducerFactory to send with.");
                assertThat(analysis.getAction()).endsWith(" or choose another recovery for it (ackflow.errors.recovery,"
                        + " or ackflow.listeners.charge.errors.recovery).");
            });
    }

    @Test
    void aUserDeadLetterPublishersBeanReplacesOurs() {
        this.contextRunner.withUserConfiguration(CustomDeadLetters.class)
            .run((context) -> assertThat(context).getBean(DeadLetterPublishers.class)
                .isSameAs(context.getBean(CustomDeadLetters.class).publishers));
    }

    /** Listeners 'audit' and 'charge' in a context with a ConsumerFactory and no ProducerFactory. */
    private static ApplicationContextRunner withoutAProducerFactory(String property) {
        return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AckflowAutoConfiguration.class))
            .withPropertyValues("ackflow.auto-startup=false", property)
            .withUserConfiguration(ConsumerOnly.class, Listeners.class);
    }

        private void assertDescription(String property, String description) {
        this.contextRunner.withPropertyValues(property)
            .run((context) -> assertThat(analysis(context.getStartupFailure()).getDescription()).isEqualTo(description));
    }

    private static ErrorPolicy policy(StreamListenerRegistry registry, String id) {
        return registry.getEngine().subscriptions().stream().filter((s) -> s.id().equals(id)).findFirst()
            .map(Subscription::errorPolicy).orElseThrow();
    }

    /** The delays a back-off asks for before it stops. */
    private static List<Long> delays(RetryBackOff backOff) {
        List<Long> delays = new ArrayList<>();
        RetryBackOff.Execution execution = backOff.start();
        for (long delay; (delay = execution.nextDelayMillis()) != RetryBackOff.STOP && delays.size() < 100;) {
            delays.add(delay);
        }
        return delays;
    }

    private static FailureAnalysis analysis(Throwable failure) {
        assertThat(failure).as("a start-up failure").isNotNull();
        FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(failure);
        assertThat(analysis).as("an Ackflow failure analysis of " + failure).isNotNull();
        return analysis;
    }

    static class Listeners {

        @StreamListener(id = "audit", topics = "orders")
        void audit(String order) {
        }

        @StreamListener(id = "charge", topics = "orders")
        void charge(String order) {
        }

    }

    static class DottedId {

        @StreamListener(id = "orders.v2", topics = "orders-v2")
        void handle(String order) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ConsumerOnly {

        @Bean
        ConsumerFactory<String, String> consumerFactory() {
            return new DefaultKafkaConsumerFactory<>(Map.of(ConsumerConfig.GROUP_ID_CONFIG, "test-group",
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092"));
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class CustomDeadLetters {

        final DeadLetterPublishers publishers = new DeadLetterPublishers(null);

        @Bean
        DeadLetterPublishers customDeadLetterPublishers() {
            return this.publishers;
        }

    }

}
