package io.ackflow.sample;

import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Starts an in-JVM Kafka broker for the sample when {@code spring.kafka.bootstrap-servers} is not
 * set (and {@code sample.embedded-broker} is not {@code false}), and points Spring Boot's Kafka
 * settings at it. The broker is a disposable singleton, so
 * it stops after the consumers' final commit (lifecycle beans stop before singletons are
 * destroyed).
 */
final class EmbeddedBrokerInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedBrokerInitializer.class);

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment environment = context.getEnvironment();
        if (environment.containsProperty("spring.kafka.bootstrap-servers")
                || !environment.getProperty("sample.embedded-broker", Boolean.class, true)) {
            return;
        }
        String topic = environment.getProperty("sample.topic", "orders");
        int partitions = environment.getProperty("sample.partitions", Integer.class, 4);
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, partitions, topic);
        broker.afterPropertiesSet();
        logger.info("No spring.kafka.bootstrap-servers given: started an in-JVM Kafka broker at {}",
                broker.getBrokersAsString());
        environment.getPropertySources()
            .addFirst(new MapPropertySource("embeddedKafka",
                    Map.of("spring.kafka.bootstrap-servers", broker.getBrokersAsString())));
        DefaultListableBeanFactory beanFactory = (DefaultListableBeanFactory) context.getBeanFactory();
        beanFactory.registerSingleton("embeddedKafkaBroker", broker);
        beanFactory.registerDisposableBean("embeddedKafkaBroker", broker);
    }

}
