package io.ackflow.spring;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.ackflow.spring.actuate.AckflowEndpoint;
import io.ackflow.spring.actuate.AckflowEndpointWebExtension;
import io.ackflow.spring.actuate.AckflowHealthIndicator;
import io.ackflow.spring.actuate.AckflowMeterBinder;
import io.ackflow.spring.actuate.HealthLimits;

/**
 * Observability of Ackflow, each part when the application has what it needs: {@code ackflow.*}
 * meters with Micrometer, the {@code ackflow} health indicator with Spring Boot's health support
 * (its limits from {@code ackflow.health.*} and each consumer's Kafka settings), and the
 * {@code /actuator/ackflow} endpoint with Spring Boot's actuator (with a web extension that
 * answers its write operations with an HTTP status when it is exposed over the web).
 */
@AutoConfiguration(after = AckflowAutoConfiguration.class,
        afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnBean(StreamListenerRegistry.class)
public final class AckflowActuatorAutoConfiguration {

    AckflowActuatorAutoConfiguration() {
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    @ConditionalOnBean(MeterRegistry.class)
    static class MetricsConfiguration {

        @Bean
        @ConditionalOnMissingBean
        AckflowMeterBinder ackflowMeterBinder(MeterRegistry registry) {
            return new AckflowMeterBinder(registry);
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(AbstractHealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("ackflow")
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "ackflowHealthIndicator")
        AckflowHealthIndicator ackflowHealthIndicator(StreamListenerRegistry registry, AckflowProperties properties) {
            AckflowProperties.Health health = properties.getHealth();
            // A value out of range fails the start-up, naming its property.
            HealthLimits.of(health, null);
            return new AckflowHealthIndicator(registry::getEngines,
                    (consumer) -> HealthLimits.of(health, registry.consumerConfigs(consumer)));
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Endpoint.class)
    @ConditionalOnAvailableEndpoint(AckflowEndpoint.class)
    static class EndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        AckflowEndpoint ackflowEndpoint(StreamListenerRegistry registry, AckflowOperations operations) {
            return new AckflowEndpoint(registry, operations);
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnAvailableEndpoint(endpoint = AckflowEndpoint.class, exposure = EndpointExposure.WEB)
        AckflowEndpointWebExtension ackflowEndpointWebExtension(AckflowEndpoint endpoint) {
            return new AckflowEndpointWebExtension(endpoint);
        }

    }

}
