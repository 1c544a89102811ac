package io.ackflow.consumer;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ConfigValidationTest {

    @Test
    void autoCommitInConsumerConfigsIsRefusedNamingTheSettingAndWhy() {
        for (Object on : new Object[] { true, "true", " TRUE " }) {
            assertThatIllegalArgumentException()
                .isThrownBy(() -> AckflowEngine.builder().name("orders")
                    .consumerConfigs(Map.of("bootstrap.servers", "localhost:9092", "group.id", "g",
                            "enable.auto.commit", on))
                    .subscription(Subscription.builder("audit").topics("orders").handler((record) -> null).build())
                    .build())
                .withMessage("Engine 'orders': consumerConfigs set enable.auto.commit=true, but the engine commits"
                        + " offsets itself, each partition only up to its first record not yet released by every"
                        + " subscription; auto-commit would commit records still in progress, and lose them if the"
                        + " process stops. Leave enable.auto.commit out or set it to false.");
        }
    }

    @Test
    void consumerConfigsWithoutAutoCommitGetItTurnedOffAndRawDeserializers() {
        AckflowEngine engine = AckflowEngine.builder()
            .consumerConfigs(Map.of("bootstrap.servers", "localhost:9092", "group.id", "g",
                    "value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer"))
            .subscription(Subscription.builder("audit").topics("orders").handler((record) -> null).build())
            .build();
        assertThat(engine.consumerConfigs()).containsEntry("enable.auto.commit", false)
            .containsEntry("group.id", "g").doesNotContainKey("value.deserializer");
    }

    @Test
    void defaultsAreFaustsCommitSettings() {
        EngineConfig config = EngineConfig.defaults();
        assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(2800));
        assertThat(config.commitEvery()).isEqualTo(10_000);
    }

    @Test
    void negativeCommitIntervalIsRefusedNamingTheSettingAndValue() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> EngineConfig.builder().commitInterval(Duration.ofSeconds(-1)).build())
            .withMessage("commitInterval must be a positive duration, was PT-1S");
    }

    @Test
    void zeroPollTimeoutIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> EngineConfig.builder().pollTimeout(Duration.ZERO).build())
            .withMessageContaining("pollTimeout");
    }

    @Test
    void commitEveryBelowOneIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> EngineConfig.builder().commitEvery(0).build())
            .withMessage("commitEvery must be at least 1, was 0");
    }

    @Test
    void negativeShutdownTimeoutIsRefusedButZeroIsAllowed() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> EngineConfig.builder().shutdownTimeout(Duration.ofMillis(-5)).build())
            .withMessageContaining("shutdownTimeout");
        assertThat(EngineConfig.builder().shutdownTimeout(Duration.ZERO).build().shutdownTimeout()).isZero();
    }

    @Test
    void handlerThreadsBelowOneIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> EngineConfig.builder().handlerThreads(0).build())
            .withMessage("handlerThreads must be at least 1, was 0");
    }

    @Test
    void subscriptionConcurrencyZeroIsRefusedNamingTheSubscription() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Subscription.builder("charge").topics("orders").concurrency(0)
                .handler((record) -> null).build())
            .withMessage("Subscription 'charge': concurrency must be at least 1, was 0");
    }

    @Test
    void subscriptionWithoutTopicsOrWithABlankTopicIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Subscription.builder("audit").handler((record) -> null).build())
            .withMessageContaining("'audit'").withMessageContaining("topics");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Subscription.builder("audit").topics("orders", " ").handler((record) -> null).build())
            .withMessageContaining("blank");
    }

    @Test
    void subscriptionWithoutHandlerIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> Subscription.builder("audit").topics("orders").build())
            .withMessageContaining("handler must be set");
    }

    @Test
    void duplicateSubscriptionIdsAreRefused() {
        Subscription<byte[], byte[]> one = Subscription.builder("audit").topics("a").handler((record) -> null).build();
        Subscription<byte[], byte[]> two = Subscription.builder("audit").topics("b").handler((record) -> null).build();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> AckflowEngine.builder().consumerFactory(RecordingConsumer::new)
                .subscription(one).subscription(two).build())
            .withMessageContaining("'audit' is used twice");
    }

    @Test
    void engineWithoutSubscriptionsOrConsumerFactoryIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> AckflowEngine.builder().consumerFactory(RecordingConsumer::new).build())
            .withMessageContaining("at least one subscription");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> AckflowEngine.builder().build())
            .withMessageContaining("consumerFactory must be set");
    }

}
