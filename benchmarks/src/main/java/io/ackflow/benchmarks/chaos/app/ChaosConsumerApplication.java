package io.ackflow.benchmarks.chaos.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * One consumer instance of the chaos run: a plain Ackflow application (the starter, no web
 * server) with the two listeners of {@link ChaosHandlers}. The harness starts several in one
 * group, each as its own JVM, and kills, stops and restarts them; everything it is told comes in
 * as command-line properties.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ChaosHandlers.class)
public class ChaosConsumerApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChaosConsumerApplication.class, args);
    }

}
