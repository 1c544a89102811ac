package io.ackflow.sample;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.spring.StreamListenerRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starts the sample as its main class does (with its own in-JVM broker), waits with a deadline
 * until both handlers have processed orders and a commit happened, and stops it cleanly.
 */
class SampleApplicationIT {

    @Test
    void sampleHandlesOrdersWithBothHandlersAndStopsCleanly() {
        AckflowEngine engine;
        try (ConfigurableApplicationContext context = SampleApplication.run("--sample.order-every=10ms",
                "--ackflow.commit-interval=200ms", "--sample.progress-every=1s")) {
            OrderHandlers handlers = context.getBean(OrderHandlers.class);
            engine = context.getBean(StreamListenerRegistry.class).getEngine();
            await().atMost(Duration.ofSeconds(60)).until(() -> handlers.audited() >= 100 && handlers.charged() >= 100
                    && !engine.committedOffsets().isEmpty());
        }
        assertThat(engine.state()).isEqualTo(EngineState.STOPPED);
        assertThat(engine.stats().acked()).as("every order received was finished by both before the stop")
            .isEqualTo(engine.stats().received());
        assertThat(engine.stats().failed()).as("declined orders only, each dead-lettered")
            .isEqualTo(engine.stats().deadLettered());
        assertThat(engine.stats().handled() + engine.stats().failed()).isEqualTo(2 * engine.stats().received());
    }

}
