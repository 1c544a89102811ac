package io.ackflow.consumer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The futures of an engine that is not running: never started, stopped (also without having
 * started), or failed to start. Every request fails at once, naming the engine and its state,
 * instead of waiting for a poll thread that will never run it.
 */
class EngineRequestsTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    @Test
    void requestsToAnEngineThatWasNeverStartedFailAtOnce() {
        AckflowEngine engine = engine(RecordingConsumer::new);
        assertEveryRequestFails(engine, "Engine 'requests' is not running (NEW)");
    }

    @Test
    void requestsAfterTheStopOfAnEngineThatNeverStartedFailAtOnce() throws InterruptedException {
        AckflowEngine engine = engine(RecordingConsumer::new);
        assertThat(engine.stop()).isTrue();
        assertEveryRequestFails(engine, "Engine 'requests' is not running (STOPPED)");
    }

    @Test
    void requestsToAStoppedEngineFailAtOnce() throws InterruptedException {
        AckflowEngine engine = engine(RecordingConsumer::new);
        engine.start();
        assertThat(engine.commitNow()).succeedsWithin(Duration.ofSeconds(10));
        assertThat(engine.stop()).isTrue();
        assertEveryRequestFails(engine, "Engine 'requests' is not running (STOPPED)");
    }

    @Test
    void requestsToAnEngineWhoseConsumerCouldNotBeMadeFailAtOnce() {
        AckflowEngine engine = engine(() -> {
            throw new IllegalStateException("no brokers configured");
        });
        engine.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.state() == EngineState.FAILED);
        assertEveryRequestFails(engine, "Engine 'requests' is not running (FAILED)");
    }

    private static void assertEveryRequestFails(AckflowEngine engine, String message) {
        List<CompletableFuture<?>> requests = List.of(engine.commitNow(), engine.commitNow(List.of(P0)),
                engine.commitNow("orders"), engine.pause(List.of(P0)), engine.resume(List.of(P0)), engine.pause("orders"),
                engine.resume("orders"), engine.seek(P0, 3), engine.seek(List.of(P0), Seek.toBeginning()),
                engine.seek("orders", Seek.toEnd()), engine.seek(Seek.toCommitted()));
        for (CompletableFuture<?> request : requests) {
            assertThat(request).isCompletedExceptionally();
            assertThat(request).failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause().isInstanceOf(EngineNotRunningException.class)
                .withMessageStartingWith(message)
                .withMessageEndingWith("pause, resume, seek and commit need a running engine: start it, or ask one that runs");
        }
    }

    private static AckflowEngine engine(Supplier<Consumer<byte[], byte[]>> consumer) {
        return AckflowEngine.builder()
            .name("requests")
            .consumerFactory(consumer)
            .config(EngineConfig.builder().shutdownTimeout(Duration.ofSeconds(1)).build())
            .subscription(Subscription.builder("s").topics("orders").handler((record) -> null).build())
            .build();
    }

}
