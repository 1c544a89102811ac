package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.FailedRecord;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.failure.SkipRecordException;
import io.ackflow.consumer.failure.SubscriptionFailedException;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Error policies in the runner: retries wait on a scheduler the test fires by hand, so the
 * back-off delays asked for are asserted exactly and every interleaving is chosen by the test.
 */
class SubscriptionRunnerFailureTest {

    private final Queue<Runnable> tasks = new ArrayDeque<>();

    private final Executor executor = this.tasks::add;

    /** Retries waiting, with the delay they asked for, in the order scheduled. */
    private final List<Runnable> timers = new ArrayList<>();

    private final List<Long> delays = new ArrayList<>();

    /** Handler calls, in order, as "partition@offset". */
    private final List<String> calls = new ArrayList<>();

    /** Acks, in order: each record's last release. */
    private final List<String> acked = new ArrayList<>();

    private final List<FailedRecord> deadLetters = new ArrayList<>();

    private final List<Throwable> stops = new ArrayList<>();

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();

    private final Map<String, CompletableFuture<Void>> pending = new HashMap<>();

    private final EngineStats stats = new EngineStats();

    /** Delays of 100, 200 and 400 ms: three retries. */
    private static final RetryBackOff DOUBLING = () -> new RetryBackOff.Execution() {

        private long next = 100;

        @Override
        public long nextDelayMillis() {
            if (this.next > 400) {
                return RetryBackOff.STOP;
            }
            long delay = this.next;
            this.next *= 2;
            return delay;
        }

    };

    @Test
    void retriesWaitTheBackOffDelaysThenSkipWhenTheyRunOut() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.SKIP), (id) -> fail(id));
        submit(runner, 0, 0, "a");
        runAll();
        assertThat(this.calls).containsExactly("0@0", "0@0", "0@0", "0@0");
        assertThat(this.delays).containsExactly(100L, 200L, 400L);
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.stats.retried()).isEqualTo(3);
        assertThat(this.stats.failed()).isEqualTo(1);
        assertThat(this.stats.handled()).isZero();
    }

    @Test
    void aTransientFailureIsHandledByItsRetry() {
        Map<String, Integer> attempts = new HashMap<>();
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.DEAD_LETTER),
                (id) -> (attempts.merge(id, 1, Integer::sum) == 1) ? fail(id) : null);
        submit(runner, 0, 0, "a");
        runAll();
        assertThat(this.calls).containsExactly("0@0", "0@0");
        assertThat(this.delays).containsExactly(100L);
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.stats.handled()).isEqualTo(1);
        assertThat(this.stats.failed()).isZero();
    }

    @Test
    void notRetryableFailuresAndTheirWrappersGoStraightToTheDeadLetterTopic() {
        ErrorPolicy policy = ErrorPolicy.builder().backOff(DOUBLING).recovery(Recovery.DEAD_LETTER)
            .deadLetterPublisher(this.deadLetters::add).notRetryable(IllegalArgumentException.class).build();
        SubscriptionRunner runner = runner(Ordering.UNORDERED, 4, policy, (id) -> {
            throw id.endsWith("0") ? new IllegalArgumentException("bad " + id)
                    : new IllegalStateException("wrapped", new IllegalArgumentException("bad " + id));
        });
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "b");
        runAll();
        assertThat(this.calls).containsExactly("0@0", "0@1");
        assertThat(this.delays).isEmpty();
        assertThat(this.deadLetters).extracting(FailedRecord::coordinates).containsExactly("t-0@0", "t-0@1");
        assertThat(this.deadLetters).extracting(FailedRecord::attempts).containsExactly(1, 1);
        assertThat(this.deadLetters).extracting(FailedRecord::subscriptionId).containsOnly("s");
        assertThat(this.acked).containsExactly("0@0", "0@1");
        assertThat(this.stats.deadLettered()).isEqualTo(2);
    }

    @Test
    void aSkipRecordExceptionReleasesTheRecordWithoutRetryOrRecovery() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.DEAD_LETTER), (id) -> {
            throw new SkipRecordException("not for this service");
        });
        submit(runner, 0, 0, "a");
        runAll();
        assertThat(this.calls).containsExactly("0@0");
        assertThat(this.delays).isEmpty();
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.stats.skipped()).isEqualTo(1);
        assertThat(this.stats.failed()).isZero();
    }

    @Test
    void aFailedDeadLetterSendIsTriedAgainAndTheRecordIsReleasedOnlyAfterItSucceeds() {
        int[] sends = new int[1];
        ErrorPolicy policy = ErrorPolicy.builder().recovery(Recovery.DEAD_LETTER)
            .deadLetterRetryInterval(java.time.Duration.ofMillis(750))
            .deadLetterPublisher((failed) -> {
                if (++sends[0] < 3) {
                    throw new IllegalStateException("broker unreachable");
                }
                this.deadLetters.add(failed);
            })
            .build();
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy, (id) -> fail(id));
        submit(runner, 0, 0, "a");
        runTasks();
        fireTimer();
        assertThat(this.acked).as("one send failed, one more is waiting").isEmpty();
        fireTimer();
        assertThat(this.calls).as("the handler is not called again for a resend").containsExactly("0@0");
        assertThat(this.delays).containsExactly(750L, 750L);
        assertThat(sends[0]).isEqualTo(3);
        assertThat(this.deadLetters).hasSize(1);
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.stats.failed()).isEqualTo(1);
        assertThat(this.stats.deadLettered()).isEqualTo(1);
    }

    @Test
    void underKeyOrderingARetryHoldsBackOnlyItsKey() {
        SubscriptionRunner runner = runner(Ordering.KEY, 10, policy(RetryBackOff.fixed(java.time.Duration.ofSeconds(1), 1),
                Recovery.SKIP), (id) -> id.equals("0@0") && !this.calls.subList(0, this.calls.size() - 1).contains("0@0")
                        ? fail(id) : null);
        submit(runner, 0, 0, "k1");
        submit(runner, 0, 1, "k1");
        submit(runner, 0, 2, "k2");
        runTasks();
        assertThat(this.calls).containsExactly("0@0", "0@2");
        assertThat(this.acked).containsExactly("0@2");
        fireTimer();
        assertThat(this.calls).containsExactly("0@0", "0@2", "0@0", "0@1");
        assertThat(this.acked).containsExactly("0@2", "0@0", "0@1");
    }

    @Test
    void underPartitionOrderingARetryHoldsBackOnlyItsPartition() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 10, policy(RetryBackOff.fixed(java.time.Duration.ofSeconds(1), 1),
                Recovery.SKIP), (id) -> id.equals("0@0") && this.calls.indexOf("0@0") == this.calls.size() - 1 ? fail(id) : null);
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "b");
        submit(runner, 1, 0, "a");
        submit(runner, 1, 1, "b");
        runTasks();
        assertThat(this.calls).containsExactly("0@0", "1@0", "1@1");
        fireTimer();
        assertThat(this.calls).containsExactly("0@0", "1@0", "1@1", "0@0", "0@1");
        assertThat(this.acked).containsExactly("1@0", "1@1", "0@0", "0@1");
    }

    @Test
    void underUnorderedARetryHoldsNothingBackNotEvenAConcurrencySlot() {
        SubscriptionRunner runner = runner(Ordering.UNORDERED, 1, policy(RetryBackOff.fixed(java.time.Duration.ofSeconds(1), 1),
                Recovery.SKIP), (id) -> id.equals("0@0") && this.calls.indexOf("0@0") == this.calls.size() - 1 ? fail(id) : null);
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "a");
        submit(runner, 0, 2, "a");
        runTasks();
        assertThat(this.calls).containsExactly("0@0", "0@1", "0@2");
        fireTimer();
        assertThat(this.calls).containsExactly("0@0", "0@1", "0@2", "0@0");
        assertThat(this.acked).containsExactly("0@1", "0@2", "0@0");
    }

    @Test
    void stopLeavesTheFailedRecordUnreleasedStartsNothingMoreAndAsksTheEngineToStop() {
        SubscriptionRunner runner = runner(Ordering.UNORDERED, 1, policy(RetryBackOff.NONE, Recovery.STOP),
                (id) -> id.equals("0@1") ? fail(id) : null);
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "a");
        submit(runner, 0, 2, "a");
        runAll();
        assertThat(this.calls).containsExactly("0@0", "0@1");
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.stops).hasSize(1);
        assertThat(this.stops.get(0)).isInstanceOf(SubscriptionFailedException.class)
            .hasMessageContaining("Subscription 's' failed on t-0@1").hasRootCauseMessage("failed on 0@1");
        assertThat(this.trackers.get(new TopicPartition("t", 0)).handlersRunning()).isZero();
        assertThat(runner.backlog()).as("0@2 stays queued, never started").isEqualTo(1);
    }

    @Test
    void aRevokeAbandonsAWaitingRetrySoItsRecordStaysUnreleasedForTheNextOwner() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.SKIP), (id) -> fail(id));
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "a");
        runTasks();
        OffsetTracker tracker = this.trackers.get(new TopicPartition("t", 0));
        assertThat(tracker.handlersRunning()).as("a waiting retry counts as running for a drain").isEqualTo(1);
        assertThat(runner.dropQueued(Set.of(new TopicPartition("t", 0)))).isEqualTo(2);
        assertThat(tracker.handlersRunning()).isZero();
        fireTimer();
        assertThat(this.calls).containsExactly("0@0");
        assertThat(this.acked).isEmpty();
        assertThat(runner.backlog()).isZero();
    }

    @Test
    void aRecordThatCannotBeDeserializedGoesToTheDeadLetterTopicWithoutRetry() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.DEAD_LETTER), (id) -> null);
        TrackedRecord tracked = track(0, 0, "a");
        RecordDeserializationException failure = new RecordDeserializationException(new TopicPartition("t", 0), 0,
                "bad JSON", new IllegalArgumentException("bad JSON"));
        runner.submit(Delivery.undeserializable(tracked, 0, failure));
        submit(runner, 0, 1, "a");
        runAll();
        assertThat(this.calls).containsExactly("0@1");
        assertThat(this.delays).isEmpty();
        assertThat(this.deadLetters).singleElement().satisfies((failed) -> {
            assertThat(failed.cause()).isSameAs(failure);
            assertThat(failed.attempts()).isZero();
            assertThat(failed.raw()).isSameAs(tracked.raw());
        });
        assertThat(this.acked).containsExactly("0@0", "0@1");
    }

    @Test
    void anAsynchronousFailureIsRetriedOnAHandlerThreadNotOnTheThreadThatCompletedIt() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.SKIP), (id) -> {
            CompletableFuture<Void> future = new CompletableFuture<>();
            this.pending.put(id + "#" + this.calls.size(), future);
            return future;
        });
        submit(runner, 0, 0, "a");
        runTasks();
        this.pending.get("0@0#1").completeExceptionally(new IllegalStateException("downstream down"));
        assertThat(this.delays).as("settled on the executor, not inline").isEmpty();
        runTasks();
        assertThat(this.delays).containsExactly(100L);
        fireTimer();
        this.pending.get("0@0#2").complete(null);
        runTasks();
        assertThat(this.calls).containsExactly("0@0", "0@0");
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.stats.retried()).isEqualTo(1);
        assertThat(this.stats.handled()).isEqualTo(1);
    }

    @Test
    void aHandlerThatFailsWhileTheEngineStopsIsNeitherRetriedNorRecovered() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.DEAD_LETTER), (id) -> {
            CompletableFuture<Void> future = new CompletableFuture<>();
            this.pending.put(id, future);
            return future;
        });
        submit(runner, 0, 0, "a");
        runTasks();
        runner.close();
        this.pending.get("0@0").completeExceptionally(new IllegalStateException("interrupted by the stop"));
        runTasks();
        assertThat(this.delays).isEmpty();
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.acked).as("read again after a restart").isEmpty();
        assertThat(this.stats.subscription("s").failed()).isZero();
        assertThat(this.trackers.get(new TopicPartition("t", 0)).handlersRunning()).isZero();
    }

    @Test
    void aRecordThatFailsWhileItsPartitionDrainsIsLeftForTheNextOwnerWithoutAWait() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 4, policy(DOUBLING, Recovery.DEAD_LETTER), (id) -> fail(id));
        TrackedRecord tracked = track(0, 0, "a");
        tracked.tracker().beginDrain();
        @SuppressWarnings("unchecked")
        ConsumerRecord<Object, Object> record = (ConsumerRecord<Object, Object>) (ConsumerRecord<?, ?>) tracked.raw();
        runner.submit(new Delivery(tracked, 0, record));
        runTasks();
        assertThat(this.calls).containsExactly("0@0");
        assertThat(this.delays).as("no retry is scheduled").isEmpty();
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.acked).isEmpty();
        assertThat(this.stats.retried()).isZero();
        assertThat(tracked.tracker().handlersRunning()).as("the drain does not wait for it").isZero();
        assertThat(runner.backlog()).isZero();
    }

    @Test
    void anExecutorThatRejectsWhileRunningStopsTheEngineAndLeaksNoSlot() {
        int[] accepted = { 0 };
        Subscription<byte[], byte[]> subscription = Subscription.builder("s").topics("t").ordering(Ordering.PARTITION)
            .concurrency(4)
            .handler((r) -> {
                this.calls.add(r.partition() + "@" + r.offset());
                return null;
            })
            .build();
        SubscriptionRunner runner = new SubscriptionRunner(subscription, (task) -> {
            if (accepted[0]++ > 0) {
                throw new java.util.concurrent.RejectedExecutionException("queue full");
            }
            this.tasks.add(task);
        }, this.stats, Clock.systemUTC(), (task, delay) -> this.timers.add(task), (cause) -> {
            this.stops.add(cause);
        }, io.ackflow.consumer.state.EngineMetrics.NONE);
        submit(runner, 0, 0, "a");
        submit(runner, 1, 0, "a");
        runTasks();
        assertThat(this.calls).containsExactly("0@0");
        assertThat(this.stops).hasSize(1);
        assertThat(this.stops.get(0)).hasMessageContaining("Subscription 's' cannot run t-1@0")
            .hasMessageContaining("queue full");
        assertThat(this.acked).containsExactly("0@0");
        assertThat(this.trackers.get(new TopicPartition("t", 1)).handlersRunning()).isZero();
        assertThat(runner.backlog()).isZero();
    }

    @Test
    void aRetrySchedulerThatRejectsStopsTheEngineAndLeaksNoSlot() {
        Subscription<byte[], byte[]> subscription = Subscription.builder("s").topics("t").ordering(Ordering.UNORDERED)
            .concurrency(1)
            .errorPolicy(policy(DOUBLING, Recovery.SKIP))
            .handler((r) -> fail(r.partition() + "@" + r.offset()))
            .build();
        SubscriptionRunner runner = new SubscriptionRunner(subscription, this.executor, this.stats, Clock.systemUTC(),
                (task, delay) -> {
                    throw new java.util.concurrent.RejectedExecutionException("timer stopped");
                }, this.stops::add, io.ackflow.consumer.state.EngineMetrics.NONE);
        submit(runner, 0, 0, "a");
        runTasks();
        assertThat(this.stops).hasSize(1);
        assertThat(this.stops.get(0)).hasMessageContaining("the retry scheduler rejected its retry");
        assertThat(this.acked).isEmpty();
        assertThat(this.trackers.get(new TopicPartition("t", 0)).handlersRunning()).isZero();
        assertThat(runner.backlog()).isZero();
    }

    private ErrorPolicy policy(RetryBackOff backOff, Recovery recovery) {
        ErrorPolicy.Builder builder = ErrorPolicy.builder().backOff(backOff).recovery(recovery);
        if (recovery == Recovery.DEAD_LETTER) {
            builder.deadLetterPublisher(this.deadLetters::add);
        }
        return builder.build();
    }

    private static CompletableFuture<Void> fail(String id) {
        throw new IllegalStateException("failed on " + id);
    }

    private SubscriptionRunner runner(Ordering ordering, int concurrency, ErrorPolicy policy,
            Function<String, CompletableFuture<Void>> behaviour) {
        Subscription<byte[], byte[]> subscription = Subscription.builder("s").topics("t").ordering(ordering)
            .concurrency(concurrency)
            .errorPolicy(policy)
            .handler((record) -> {
                String id = record.partition() + "@" + record.offset();
                this.calls.add(id);
                return behaviour.apply(id);
            })
            .build();
        return new SubscriptionRunner(subscription, this.executor, this.stats, Clock.systemUTC(), (task, delay) -> {
            this.delays.add(delay);
            this.timers.add(task);
        }, this.stops::add, io.ackflow.consumer.state.EngineMetrics.NONE);
    }

    private TrackedRecord track(int partition, long offset, String key) {
        OffsetTracker tracker = this.trackers.computeIfAbsent(new TopicPartition("t", partition), OffsetTracker::new);
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("t", partition, offset, key.getBytes(), new byte[0]);
        return tracker.track(raw, new String[] { "s" }, (r) -> this.acked.add(partition + "@" + offset));
    }

    private void submit(SubscriptionRunner runner, int partition, long offset, String key) {
        TrackedRecord tracked = track(partition, offset, key);
        @SuppressWarnings("unchecked")
        ConsumerRecord<Object, Object> record = (ConsumerRecord<Object, Object>) (ConsumerRecord<?, ?>) tracked.raw();
        runner.submit(new Delivery(tracked, 0, record));
    }

    private void runTasks() {
        for (Runnable task; (task = this.tasks.poll()) != null;) {
            task.run();
        }
    }

    /** Fires the oldest waiting retry and runs what it starts. */
    private void fireTimer() {
        this.timers.remove(0).run();
        runTasks();
    }

    /** Runs tasks and fires retries until nothing is left. */
    private void runAll() {
        runTasks();
        while (!this.timers.isEmpty()) {
            fireTimer();
        }
    }

}
