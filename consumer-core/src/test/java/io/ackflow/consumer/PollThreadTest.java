package io.ackflow.consumer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.loop.PollLoop;

import static org.assertj.core.api.Assertions.assertThat;

/** The poll loop's poll-thread-only calls fail fast from another thread, naming both threads. */
class PollThreadTest {

    private final RecordingConsumer consumer = new RecordingConsumer();

    @Test
    void aTurnOfTheLoopFromAnotherThreadThanThePollThreadFailsAtOnce() throws Exception {
        AckflowEngine engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .subscription(Subscription.builder("audit").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> { }))
                .build())
            .build();
        PollLoop loop = engine.newLoop(this.consumer, Runnable::run);
        loop.subscribe();
        this.consumer.assignAtZero(new TopicPartition("orders", 0));
        loop.runOnce();
        String pollThread = Thread.currentThread().getName();

        CompletableFuture<Void> fromElsewhere = CompletableFuture.runAsync(loop::runOnce,
                (task) -> new Thread(task, "not-the-poll-thread").start());

        assertThat(fromElsewhere).failsWithin(10, TimeUnit.SECONDS).withThrowableThat()
            .havingRootCause().isInstanceOf(IllegalStateException.class)
            .withMessage("runOnce runs on the poll thread '" + pollThread + "' only; it was called from"
                    + " 'not-the-poll-thread'. Other threads ask the loop through its command queue (commitNow,"
                    + " controls(), requestStop).");
        loop.runOnce();
        loop.requestStop();
        loop.shutdown();
        assertThat(this.consumer.closed()).isTrue();
    }

}
