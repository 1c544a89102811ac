package io.ackflow.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Runs the sample at development time against Kafka in a Docker container (Spring Boot's
 * Testcontainers convention): run this class's main from the IDE, or
 * {@code mvn -pl sample-app spring-boot:test-run}. Needs a Docker engine.
 */
public class TestSampleApplication {

    public static void main(String[] args) {
        SpringApplication.from(SampleApplication::main)
            .with(KafkaContainerConfiguration.class)
            .run(withArgument(args, "--sample.embedded-broker=false"));
    }

    private static String[] withArgument(String[] args, String argument) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = argument;
        return all;
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class KafkaContainerConfiguration {

        @Bean
        @ServiceConnection
        KafkaContainer kafkaContainer() {
            return new KafkaContainer("apache/kafka-native:4.1.0");
        }

    }

}
