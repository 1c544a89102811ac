package io.ackflow.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * Order processing with Ackflow: {@link OrderHandlers} has two handlers on the {@code orders}
 * topic, {@link OrderGenerator} keeps writing orders, {@link ProgressReporter} logs progress.
 * Without {@code spring.kafka.bootstrap-servers} it starts an in-JVM Kafka broker.
 */
@SpringBootApplication
@EnableScheduling
public class SampleApplication {

    public static void main(String[] args) {
        run(args);
    }

    /** Starts the sample and returns its context (closing it stops the sample cleanly). */
    public static ConfigurableApplicationContext run(String... args) {
        SpringApplication application = new SpringApplication(SampleApplication.class);
        application.addInitializers(new EmbeddedBrokerInitializer());
        return application.run(args);
    }

}
