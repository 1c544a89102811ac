package io.ackflow.spring;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.failure.Recovery;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ackflow.consumers.<name>.group-type=share}: the consumer it makes, and the start-up
 * failures for listener settings a share consumer or a consumer group cannot honour.
 */
class ShareConsumerConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "spring.kafka.consumer.auto-offset-reset=earliest",
                "ackflow.auto-startup=false");

    @Test
    void aShareConsumerRunsItsListenersUnorderedAndLeavesOutWhatAShareConsumerRefuses() {
        this.contextRunner.withUserConfiguration(Unordered.class)
            .withPropertyValues("ackflow.consumers.work.group-type=share", "ackflow.consumers.work.listeners=audit",
                    "ackflow.listeners.audit.errors.recovery=release")
            .run((context) -> {
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngines().get("work");
                assertThat(engine.isShareConsumer()).isTrue();
                assertThat(engine.shareGroup()).isEqualTo("test-group-work");
                Subscription<?, ?> audit = engine.subscriptions().get(0);
                assertThat(audit.ordering()).as("the default PARTITION does not apply").isEqualTo(Ordering.UNORDERED);
                assertThat(audit.errorPolicy().recovery()).isEqualTo(Recovery.RELEASE);
            });
    }

    @Test
    void theShareConsumerSettingsLeaveOutTheConsumerGroupOnesAskForExplicitAcknowledgementsAndBoundThePoll() {
        java.util.Map<String, Object> configs = ShareConsumerConfigs.forShareConsumer("work",
                java.util.Map.of("bootstrap.servers", "localhost:9092", "group.id", "g", "auto.offset.reset", "earliest",
                        "enable.auto.commit", false, "isolation.level", "read_committed", "client.id", "c"), 200);
        assertThat(configs).containsOnly(java.util.Map.entry("bootstrap.servers", "localhost:9092"),
                java.util.Map.entry("group.id", "g"), java.util.Map.entry("client.id", "c"),
                java.util.Map.entry("share.acknowledgement.mode", "explicit"),
                java.util.Map.entry("max.poll.records", 200));
    }

    @Test
    void keyOrderingOnAShareConsumerFailsStartupSayingWhy() {
        this.contextRunner.withUserConfiguration(KeyOrdered.class)
            .withPropertyValues("ackflow.consumers.work.group-type=share", "ackflow.consumers.work.listeners=charge")
            .run((context) -> assertThat(context).hasFailed().getFailure()
                .isInstanceOf(AckflowConfigurationException.class)
                .hasMessageContaining("@StreamListener 'charge' orders by KEY, but it runs on the share consumer 'work'"
                        + " (ackflow.consumers.work.group-type=share): a share group hands the records of one"
                        + " partition to several members at once"));
    }

    @Test
    void aShareOnlyRecoveryOnAConsumerGroupFailsStartupNamingTheProperty() {
        this.contextRunner.withUserConfiguration(Unordered.class)
            .withPropertyValues("ackflow.listeners.audit.errors.recovery=reject")
            .run((context) -> assertThat(context).hasFailed().getFailure()
                .isInstanceOf(AckflowConfigurationException.class)
                .hasMessageContaining("Property 'ackflow.listeners.audit.errors.recovery' is 'reject', which only a"
                        + " share consumer can do"));
    }

    static class Unordered {

        @StreamListener(id = "audit", topics = "jobs")
        void audit(String job) {
        }

    }

    static class KeyOrdered {

        @StreamListener(id = "charge", topics = "jobs", ordering = Ordering.KEY)
        void charge(String job) {
        }

    }

}
