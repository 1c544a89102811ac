package io.ackflow.spring;

import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.LazyInitializationExcludeFilter;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.support.micrometer.KafkaListenerObservationConvention;
import tools.jackson.databind.json.JsonMapper;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.RebalanceListener;

/**
 * Auto-configuration of Ackflow: {@code @StreamListener} methods run on one engine whose Kafka
 * client settings come from Spring Boot's {@code spring.kafka.*} and whose own settings come
 * from {@code ackflow.*}.
 */
@AutoConfiguration(after = KafkaAutoConfiguration.class,
        afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnClass({ AckflowEngine.class, ConsumerFactory.class })
@EnableConfigurationProperties(AckflowProperties.class)
public final class AckflowAutoConfiguration {

    AckflowAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    static StreamListenerAnnotationBeanPostProcessor streamListenerAnnotationBeanPostProcessor() {
        return new StreamListenerAnnotationBeanPostProcessor();
    }

    /** Listener beans stay eager under spring.main.lazy-initialization=true. */
    @Bean
    static LazyInitializationExcludeFilter streamListenerLazyInitializationExcludeFilter() {
        return new StreamListenerLazyInitializationExcludeFilter();
    }

    @Bean
    @ConditionalOnMissingBean
    PayloadDeserializers ackflowPayloadDeserializers(ObjectProvider<PayloadDeserializers.JsonDeserializerFactory> json) {
        return new PayloadDeserializers(json.getIfAvailable());
    }

    @Bean
    @ConditionalOnMissingBean
    DeadLetterPublishers ackflowDeadLetterPublishers(ObjectProvider<ProducerFactory<?, ?>> producerFactory) {
        return new DeadLetterPublishers(producerFactory.getIfAvailable());
    }

    @Bean
    @ConditionalOnMissingBean
    StreamListenerRegistry streamListenerRegistry(AckflowProperties properties,
            ObjectProvider<ConsumerFactory<?, ?>> consumerFactory, PayloadDeserializers deserializers,
            ObjectProvider<RebalanceListener> rebalanceListeners, DeadLetterPublishers deadLetters,
            ObjectProvider<AckflowEngineCustomizer> customizers, BeanFactory beanFactory,
            ObjectProvider<ProducerFactory<?, ?>> producerFactory, Environment environment,
            ObjectProvider<KafkaProperties> kafkaProperties, ObjectProvider<ObservationRegistry> observationRegistry,
            ObjectProvider<KafkaListenerObservationConvention> observationConvention,
            ObjectProvider<KafkaAdmin> kafkaAdmin) {
        StreamListenerRegistry registry = new StreamListenerRegistry(properties, consumerFactory.getIfAvailable(),
                deserializers, rebalanceListeners.orderedStream().toList(), deadLetters,
                customizers.orderedStream().toList(), beanFactory);
        registry.setProducerFactory(producerFactory.getIfAvailable());
        registry.setEnvironment(environment);
        if (observationEnabled(properties, kafkaProperties.getIfAvailable())) {
            registry.setObservationRegistry(observationRegistry.getIfUnique(), observationConvention.getIfUnique(),
                    kafkaAdmin.getIfUnique());
        }
        return registry;
    }

    @Bean
    @ConditionalOnMissingBean
    AckflowOperations ackflowOperations(StreamListenerRegistry registry) {
        return new AckflowOperations(registry);
    }

    /** ackflow.observation-enabled when set, else spring.kafka.listener.observation-enabled. */
    private static boolean observationEnabled(AckflowProperties properties, @Nullable KafkaProperties kafkaProperties) {
        Boolean own = properties.getObservationEnabled();
        if (own != null) {
            return own;
        }
        return kafkaProperties != null && kafkaProperties.getListener().isObservationEnabled();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(JsonMapper.class)
    static class JacksonConfiguration {

        @Bean
        @ConditionalOnMissingBean
        PayloadDeserializers.JsonDeserializerFactory ackflowJsonDeserializerFactory(ObjectProvider<JsonMapper> jsonMapper) {
            return new JacksonJsonDeserializerFactory(jsonMapper.getIfAvailable(JsonMapper::new));
        }

    }

}
