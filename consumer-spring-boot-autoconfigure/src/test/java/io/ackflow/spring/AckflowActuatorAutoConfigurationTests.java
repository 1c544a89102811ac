package io.ackflow.spring;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.ackflow.spring.actuate.AckflowEndpoint;
import io.ackflow.spring.actuate.AckflowEndpointWebExtension;
import io.ackflow.spring.actuate.AckflowHealthIndicator;
import io.ackflow.spring.actuate.AckflowMeterBinder;
import io.ackflow.spring.actuate.HealthLimits;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each condition of the observability auto-configuration: meters with a {@link MeterRegistry},
 * the health indicator unless turned off (its limits from {@code ackflow.health.*} and each
 * consumer's Kafka settings), the endpoint when exposed and allowed.
 */
class AckflowActuatorAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class,
                AckflowActuatorAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false");

    @Test
    void metersAreBoundToEachConsumerWhenThereIsAMeterRegistry() {
        this.contextRunner.withUserConfiguration(Registry.class, Listener.class).run((context) -> {
            assertThat(context).hasSingleBean(AckflowMeterBinder.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get("ackflow.records.received").tag("consumer", "ackflow").functionCounter().count())
                .isZero();
            assertThat(registry.get("ackflow.records.handled").tags("consumer", "ackflow", "subscription", "audit")
                .functionCounter()).isNotNull();
            assertThat(registry.get("ackflow.handler.duration").tags("subscription", "audit", "outcome", "success")
                .timer()).isNotNull();
        });
    }

    @Test
    void noMetersWithoutAMeterRegistry() {
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(AckflowMeterBinder.class));
    }

    @Test
    void noMetersWithoutMicrometer() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(AckflowMeterBinder.class));
    }

    @Test
    void healthIndicatorIsOnByDefaultAndNamedAckflow() {
        this.contextRunner.run((context) -> assertThat(context).hasSingleBean(AckflowHealthIndicator.class)
            .hasBean("ackflowHealthIndicator"));
    }

    @Test
    void healthIndicatorCanBeTurnedOff() {
        this.contextRunner.withPropertyValues("management.health.ackflow.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(AckflowHealthIndicator.class));
    }

    @Test
    void healthLimitsComeFromEachConsumersKafkaSettingsUnlessSetUnderAckflowHealth() {
        this.contextRunner.withUserConfiguration(Listener.class)
            .withPropertyValues("spring.kafka.consumer.properties.max.poll.interval.ms=120000",
                    "spring.kafka.consumer.properties.session.timeout.ms=6000",
                    "ackflow.health.commit-failure-intervals=3")
            .run((context) -> assertThat(context.getBean(AckflowHealthIndicator.class).limits("ackflow"))
                .isEqualTo(new HealthLimits(Duration.ofMinutes(2), 3, Duration.ofSeconds(6), Duration.ofMinutes(2))));
    }

    @Test
    void aHealthLimitOutOfRangeFailsStartUpNamingItsProperty() {
        this.contextRunner.withPropertyValues("ackflow.health.coordinator-timeout=0s")
            .run((context) -> assertThat(context).hasFailed().getFailure().rootCause()
                .hasMessage("Property 'ackflow.health.coordinator-timeout' must be a positive duration, was PT0S."));
    }

    @Test
    void endpointIsThereWhenExposed() {
        this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=ackflow")
            .run((context) -> assertThat(context).hasSingleBean(AckflowEndpoint.class));
    }

    @Test
    void endpointAnswersItsWritesWithAnHttpStatusWhenExposedOverTheWeb() {
        this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=ackflow")
            .run((context) -> assertThat(context).hasSingleBean(AckflowEndpointWebExtension.class));
        this.contextRunner.withPropertyValues("management.endpoints.jmx.exposure.include=ackflow", "spring.jmx.enabled=true")
            .run((context) -> assertThat(context).hasSingleBean(AckflowEndpoint.class)
                .doesNotHaveBean(AckflowEndpointWebExtension.class));
    }

    @Test
    void endpointIsAbsentWhenNotExposed() {
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(AckflowEndpoint.class));
    }

    @Test
    void endpointIsAbsentWhenItsAccessIsNone() {
        this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=ackflow",
                "management.endpoint.ackflow.access=NONE")
            .run((context) -> assertThat(context).doesNotHaveBean(AckflowEndpoint.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Registry {

        @Bean
        SimpleMeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

    }

    static class Listener {

        @StreamListener(id = "audit", topics = "orders")
        void audit(String order) {
        }

    }

}
