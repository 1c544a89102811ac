package io.ackflow.consumer.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ordering modes and concurrency bounds, with an executor the test drains by hand and handlers
 * whose futures the test completes: every interleaving is chosen by the test.
 */
class SubscriptionRunnerTest {

    private final Queue<Runnable> tasks = new ArrayDeque<>();

    private final Executor executor = this.tasks::add;

    /** Handler invocations started, in order, as "partition@offset". */
    private final List<String> started = new ArrayList<>();

    private final Map<String, CompletableFuture<Void>> running = new HashMap<>();

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();

    private final List<String> acked = new ArrayList<>();

    @Test
    void partitionOrderingRunsOneRecordOfAPartitionAtATimeAndPartitionsInParallel() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 10);
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "b");
        submit(runner, 1, 0, "a");
        runTasks();
        assertThat(this.started).containsExactly("0@0", "1@0");
        complete("0@0");
        runTasks();
        assertThat(this.started).containsExactly("0@0", "1@0", "0@1");
        assertThat(this.acked).containsExactly("0@0");
    }

    @Test
    void keyOrderingRunsKeysInParallelAndEachKeyInOrder() {
        SubscriptionRunner runner = runner(Ordering.KEY, 10);
        submit(runner, 0, 0, "a");
        submit(runner, 0, 1, "b");
        submit(runner, 0, 2, "a");
        submit(runner, 0, 3, "c");
        submit(runner, 0, 4, null);
        submit(runner, 0, 5, null);
        runTasks();
        assertThat(this.started).containsExactly("0@0", "0@1", "0@3", "0@4");
        complete("0@1");
        complete("0@0");
        runTasks();
        assertThat(this.started).containsExactly("0@0", "0@1", "0@3", "0@4", "0@2");
        complete("0@4");
        runTasks();
        assertThat(this.started).endsWith("0@5");
    }

    @Test
    void keyOrderingConcurrencyMayExceedThePartitionCountButNotItsBound() {
        SubscriptionRunner runner = runner(Ordering.KEY, 3);
        for (int i = 0; i < 6; i++) {
            submit(runner, 0, i, "key" + i);
        }
        runTasks();
        assertThat(this.started).containsExactly("0@0", "0@1", "0@2");
        complete("0@1");
        runTasks();
        assertThat(this.started).containsExactly("0@0", "0@1", "0@2", "0@3");
    }

    @Test
    void unorderedRunsUpToTheConcurrencyInArrivalOrder() {
        SubscriptionRunner runner = runner(Ordering.UNORDERED, 2);
        for (int i = 0; i < 5; i++) {
            submit(runner, 0, i, "same");
        }
        runTasks();
        assertThat(this.started).containsExactly("0@0", "0@1");
        complete("0@1");
        runTasks();
        assertThat(this.started).containsExactly("0@0", "0@1", "0@2");
        assertThat(runner.backlog()).isEqualTo(4);
    }

    @Test
    void aFreedSlotGoesToTheLongestWaitingLaneSoNoPartitionStarves() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 1);
        submit(runner, 0, 0, null);
        submit(runner, 0, 1, null);
        submit(runner, 0, 2, null);
        submit(runner, 1, 0, null);
        submit(runner, 2, 0, null);
        runTasks();
        for (String next : new String[] { "0@0", "1@0", "2@0", "0@1" }) {
            complete(next);
            runTasks();
        }
        assertThat(this.started).containsExactly("0@0", "1@0", "2@0", "0@1", "0@2");
    }

    @Test
    void synchronousHandlersRunBackToBackOnOneWorker() {
        List<String> handled = new ArrayList<>();
        Subscription<byte[], byte[]> subscription = Subscription.builder("sync").topics("t").concurrency(1)
            .handler((record) -> {
                handled.add(record.partition() + "@" + record.offset());
                return null;
            })
            .build();
        SubscriptionRunner runner = new SubscriptionRunner(subscription, this.executor, new EngineStats(), java.time.Clock.systemUTC());
        submit(runner, 0, 0, null);
        submit(runner, 0, 1, null);
        submit(runner, 0, 2, null);
        assertThat(this.tasks).hasSize(1);
        runTasks();
        assertThat(handled).containsExactly("0@0", "0@1", "0@2");
        assertThat(this.acked).containsExactly("0@0", "0@1", "0@2");
    }

    @Test
    void closedRunnerStartsNothingMoreAndLeavesQueuedRecordsUnacked() {
        SubscriptionRunner runner = runner(Ordering.PARTITION, 10);
        submit(runner, 0, 0, null);
        submit(runner, 0, 1, null);
        runTasks();
        runner.close();
        complete("0@0");
        runTasks();
        assertThat(this.started).containsExactly("0@0");
        assertThat(this.acked).containsExactly("0@0");
    }

    private SubscriptionRunner runner(Ordering ordering, int concurrency) {
        Subscription<byte[], byte[]> subscription = Subscription.builder("s").topics("t").ordering(ordering)
            .concurrency(concurrency)
            .handler((record) -> {
                String id = record.partition() + "@" + record.offset();
                this.started.add(id);
                CompletableFuture<Void> future = new CompletableFuture<>();
                this.running.put(id, future);
                return future;
            })
            .build();
        return new SubscriptionRunner(subscription, this.executor, new EngineStats(), java.time.Clock.systemUTC());
    }

    private void submit(SubscriptionRunner runner, int partition, long offset, String key) {
        OffsetTracker tracker = this.trackers.computeIfAbsent(new TopicPartition("t", partition), OffsetTracker::new);
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("t", partition, offset,
                (key != null) ? key.getBytes() : null, new byte[0]);
        TrackedRecord tracked = tracker.track(raw, new String[] { "s" }, (r) -> this.acked.add(partition + "@" + offset));
        @SuppressWarnings("unchecked")
        ConsumerRecord<Object, Object> record = (ConsumerRecord<Object, Object>) (ConsumerRecord<?, ?>) raw;
        runner.submit(new Delivery(tracked, 0, record));
    }

    private void complete(String id) {
        this.running.get(id).complete(null);
    }

    private void runTasks() {
        for (Runnable task; (task = this.tasks.poll()) != null;) {
            task.run();
        }
    }

}
