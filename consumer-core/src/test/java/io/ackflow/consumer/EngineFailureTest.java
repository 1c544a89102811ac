package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.failure.SubscriptionFailedException;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.testing.MutableTicker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Error policies seen from the commits, on MockConsumer with a clock the test moves and
 * handlers on the test thread; and the client exceptions of a stopping consumer.
 */
class EngineFailureTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private final List<Runnable> timers = new ArrayList<>();

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    /** The whole engine: the poll loop, its shutdown, its commits and its rebalances log under it. */
    private final Logger loopLogger = (Logger) LoggerFactory.getLogger("io.ackflow.consumer");

    private PollLoop loop;

    @AfterEach
    void detachLogs() {
        this.loopLogger.detachAppender(this.logs);
    }

    @Test
    void stopCommitsExactlyTheAckedPrefixBeforeTheFailedRecordAndFailsTheEngine() {
        start(ErrorPolicy.builder().recovery(Recovery.STOP).build(), "0@3");
        addRecords(P0, 0, 6);
        addRecords(P1, 0, 2);
        this.loop.runOnce();
        assertThat(this.loop.stopRequested()).isTrue();
        this.loop.shutdown();
        assertThat(this.seen).as("nothing starts after the failure").startsWith("0@0", "0@1", "0@2", "0@3")
            .doesNotContain("0@4", "0@5");
        assertThat(this.consumer.commits()).singleElement().satisfies((commit) -> {
            assertThat(commit.get(P0)).as("the failed record is read again after a restart").isEqualTo(3L);
        });
        assertThat(this.loop.failure()).isInstanceOf(SubscriptionFailedException.class)
            .hasMessageContaining("orders-0@3");
        assertThat(this.consumer.closed()).isTrue();
    }

    @Test
    void aStopOnFailureLeavesTheEngineFailedWithTheSubscriptionAndRecordNamed() throws Exception {
        AckflowEngine failing = AckflowEngine.builder()
            .name("failing")
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().shutdownTimeout(Duration.ofSeconds(5)).build())
            .subscription(Subscription.builder("ledger").topics("orders")
                .errorPolicy(ErrorPolicy.builder().recovery(Recovery.STOP).build())
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    if (record.offset() == 2) {
                        throw new IllegalStateException("ledger unavailable");
                    }
                }))
                .build())
            .build();
        this.consumer.schedulePollTask(() -> {
            this.consumer.assignAtZero(P0);
            addRecords(P0, 0, 5);
        });
        failing.start();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> failing.state() == EngineState.FAILED);
        assertThat(failing.failure()).isInstanceOf(SubscriptionFailedException.class)
            .hasMessage("Subscription 'ledger' failed on orders-0@2 and its error policy is STOP; the record was not"
                    + " committed and is read again after a restart")
            .hasRootCauseMessage("ledger unavailable");
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L));
        assertThat(this.consumer.closed()).isTrue();
        assertThat(failing.stats().failed()).isEqualTo(1);
        assertThat(failing.stats().acked()).isEqualTo(2);
    }

    @Test
    void aRecordRetriedUntilItSucceedsHoldsItsPartitionsCommitUntilThen() {
        int[] failuresLeft = { 2 };
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 5)).build(), null);
        this.failWhen = (id) -> id.equals("0@1") && failuresLeft[0]-- > 0;
        addRecords(P0, 0, 3);
        this.loop.runOnce();
        tick(Duration.ofSeconds(5));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));
        this.timers.remove(0).run();
        tick(Duration.ofSeconds(5));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));
        this.timers.remove(0).run();
        tick(Duration.ofSeconds(5));
        assertThat(this.seen).containsExactly("0@0", "0@1", "0@1", "0@1", "0@2");
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L), Map.of(P0, 3L));
        assertThat(this.engine.stats().retried()).isEqualTo(2);
        assertThat(this.engine.stats().failed()).isZero();
    }

    @Test
    void aFailureWhileTheStopWaitsIsLeftForTheNextStartAndEndsTheWaitWithThePrefixCommitted() {
        Map<String, CompletableFuture<Void>> pending = startPending(ErrorPolicy.builder().recovery(Recovery.STOP).build(),
                EngineConfig.builder());
        pending.get("0@0").complete(null);
        this.logs.start();
        this.loopLogger.addAppender(this.logs);
        // While the stop waits, offset 1 fails and offset 2 completes. As during a revoke, a failure
        // now is neither retried nor recovered: 1 stays unacked and is read again on restart, where
        // its recovery applies; the wait ends as soon as nothing runs.
        this.consumer.schedulePollTask(() -> {
            pending.get("0@1").completeExceptionally(new IllegalStateException("ledger down"));
            pending.get("0@2").complete(null);
        });
        this.loop.requestStop();
        this.loop.shutdown();
        assertThat(this.loop.failure()).isNull();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));
        assertThat(this.logs.list).extracting(ILoggingEvent::getFormattedMessage)
            .noneMatch((message) -> message.startsWith("Shutdown timeout"));
    }

    @Test
    void aStopThatOutlastsItsTimeoutCommitsTheAckedPrefixOnceTheTickerPassesIt() {
        Map<String, CompletableFuture<Void>> pending = startPending(ErrorPolicy.DEFAULT,
                EngineConfig.builder().ticker(MutableTicker.steppingBy(Duration.ofSeconds(10))));
        pending.get("0@0").complete(null);
        pending.get("0@2").complete(null);
        this.logs.start();
        this.loopLogger.addAppender(this.logs);

        this.loop.requestStop();
        this.loop.shutdown();

        assertThat(this.consumer.commits()).as("offset 1 still runs: the acked prefix ends before it")
            .containsExactly(Map.of(P0, 1L));
        assertThat(this.logs.list).extracting(ILoggingEvent::getFormattedMessage)
            .anyMatch((message) -> message.startsWith("Shutdown timeout PT30S passed with handlers still running"));
        assertThat(this.consumer.closed()).isTrue();
    }

    @Test
    void aStopWaitsForTheRunningHandlersOnlyAndLeavesTheQueuedRecordsUnstartedAndUncommitted() {
        Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
        List<Long> called = Collections.synchronizedList(new ArrayList<>());
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))
                .ticker(MutableTicker.steppingBy(Duration.ofSeconds(1))).shutdownTimeout(Duration.ofMinutes(10)).build())
            .subscription(Subscription.builder("ledger").topics("orders").ordering(Ordering.PARTITION)
                .handler((record) -> {
                    called.add(record.offset());
                    return pending.computeIfAbsent(record.partition() + "@" + record.offset(),
                            (id) -> new CompletableFuture<>());
                })
                .build())
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
        addRecords(P0, 0, 2000);
        this.loop.runOnce();
        pending.get("0@0").complete(null);
        assertThat(called).as("offset 1 runs, 1998 records queued behind it").containsExactly(0L, 1L);
        this.logs.start();
        this.loopLogger.addAppender(this.logs);
        // Offset 1 finishes while the stop waits; the 1998 records queued behind it never start.
        this.consumer.schedulePollTask(() -> pending.get("0@1").complete(null));

        this.loop.requestStop();
        this.loop.shutdown();

        assertThat(called).containsExactly(0L, 1L);
        assertThat(this.consumer.commits()).as("the acked prefix, and no further").containsExactly(Map.of(P0, 2L));
        assertThat(this.logs.list).extracting(ILoggingEvent::getFormattedMessage).contains("Stopping [orders]: 1998"
                + " queued record deliveries were not started and are read again by the next owner of their partitions;"
                + " waiting up to PT10M for the handlers running")
            .noneMatch((message) -> message.startsWith("Shutdown timeout"));
        assertThat(this.consumer.closed()).isTrue();
    }

    @Test
    void anInterruptOfAStoppingConsumerIsNotLoggedAsAFailure() {
        start(ErrorPolicy.DEFAULT, null);
        this.logs.start();
        this.loopLogger.addAppender(this.logs);
        this.consumer.schedulePollTask(() -> {
            this.loop.requestStop();
            throw new InterruptException(new InterruptedException("stopping"));
        });
        this.loop.run();
        assertThat(this.loop.failure()).isNull();
        assertThat(this.logs.list).filteredOn((event) -> event.getLevel().isGreaterOrEqual(Level.WARN)).isEmpty();
        assertThat(this.consumer.closed()).isTrue();
    }

    @Test
    void anInterruptWhileRunningIsAFailure() {
        start(ErrorPolicy.DEFAULT, null);
        this.logs.start();
        this.loopLogger.addAppender(this.logs);
        this.consumer.schedulePollTask(() -> {
            throw new InterruptException(new InterruptedException("unexpected"));
        });
        this.loop.run();
        assertThat(this.loop.failure()).isInstanceOf(InterruptException.class);
        assertThat(this.logs.list).filteredOn((event) -> event.getLevel() == Level.ERROR).hasSize(1);
    }

    private java.util.function.Predicate<String> failWhen = (id) -> false;

    private AckflowEngine engine;

    private void start(ErrorPolicy policy, String failOn) {
        if (failOn != null) {
            this.failWhen = failOn::equals;
        }
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .retryScheduler((task, delay) -> this.timers.add(task))
            .config(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))
                .shutdownTimeout(Duration.ZERO).build())
            .subscription(Subscription.builder("charge").topics("orders").errorPolicy(policy)
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    String id = record.partition() + "@" + record.offset();
                    this.seen.add(id);
                    if (this.failWhen.test(id)) {
                        throw new IllegalStateException("payment service refused " + id);
                    }
                }))
                .build())
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
    }

    /**
     * Starts a loop whose handler of "ledger" (UNORDERED, concurrency 10) returns a future per
     * record that the test completes, after three records of P0 were dispatched.
     */
    private Map<String, CompletableFuture<Void>> startPending(ErrorPolicy policy, EngineConfig.Builder config) {
        Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(config.clock(this.clock).commitInterval(Duration.ofSeconds(5)).shutdownTimeout(Duration.ofSeconds(30))
                .build())
            .subscription(Subscription.builder("ledger").topics("orders").ordering(Ordering.UNORDERED).concurrency(10)
                .errorPolicy(policy)
                .handler((record) -> pending.computeIfAbsent(record.partition() + "@" + record.offset(),
                        (id) -> new CompletableFuture<>()))
                .build())
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
        addRecords(P0, 0, 3);
        this.loop.runOnce();
        return pending;
    }

    private void addRecords(TopicPartition partition, long from, int count) {
        for (long offset = from; offset < from + count; offset++) {
            this.consumer.add(partition.topic(), partition.partition(), offset, "k" + offset, "v" + offset);
        }
    }

    private void tick(Duration duration) {
        this.clock.advance(duration);
        this.loop.runOnce();
    }

}
