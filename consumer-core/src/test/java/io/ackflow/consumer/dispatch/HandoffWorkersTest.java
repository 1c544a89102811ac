package io.ackflow.consumer.dispatch;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How many executor tasks a subscription asks for: quick handlers run back to back on the workers
 * already there; blocking handlers still get a thread each, up to the concurrency.
 */
class HandoffWorkersTest {

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();

    private final List<String> acked = Collections.synchronizedList(new ArrayList<>());

    @Test
    void aBurstOfQuickHandlersRunsOnTwoWorkersInsteadOfOneTaskPerDelivery() {
        Queue<Runnable> tasks = new ArrayDeque<>();
        List<String> handled = new ArrayList<>();
        SubscriptionRunner runner = runner(Ordering.UNORDERED, 100, tasks::add,
                RecordHandler.blocking((record) -> handled.add(record.partition() + "@" + record.offset())));
        List<Delivery> burst = new ArrayList<>();
        for (int offset = 0; offset < 50; offset++) {
            burst.add(delivery(0, offset));
        }
        runner.submitAll(burst);
        assertThat(tasks).as("one worker asked for the burst").hasSize(1);
        int ran = 0;
        for (Runnable task; (task = tasks.poll()) != null;) {
            task.run();
            ran++;
        }
        assertThat(ran).as("the first worker and the one it asked for before its first handler call").isEqualTo(2);
        assertThat(handled).hasSize(50).startsWith("0@0", "0@1", "0@2").endsWith("0@49");
        assertThat(this.acked).hasSize(50);
        assertThat(runner.backlog()).isZero();
    }

    @Test
    void blockingHandlersStillRunAtTheFullConcurrencyEachOnAThreadOfItsOwn() throws Exception {
        int concurrency = 8;
        CountDownLatch allInside = new CountDownLatch(concurrency);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            SubscriptionRunner runner = runner(Ordering.UNORDERED, concurrency, pool, RecordHandler.blocking((record) -> {
                allInside.countDown();
                release.await();
            }));
            List<Delivery> burst = new ArrayList<>();
            for (int offset = 0; offset < concurrency * 2; offset++) {
                burst.add(delivery(0, offset));
            }
            runner.submitAll(burst);
            assertThat(allInside.await(30, TimeUnit.SECONDS)).as("every slot's handler entered at once").isTrue();
            assertThat(runner.backlog()).isEqualTo(concurrency * 2);
            release.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> this.acked.size() == concurrency * 2);
            assertThat(runner.backlog()).isZero();
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void blockingHandlersBeyondTheCoresGetAWorkerEachOnceTheWatchSeesThemBlock() throws Exception {
        int concurrency = TurnWatch.EAGER_WORKERS * 4;
        CountDownLatch allInside = new CountDownLatch(concurrency);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger workers = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            SubscriptionRunner runner = runner(Ordering.UNORDERED, concurrency, (task) -> {
                workers.incrementAndGet();
                pool.execute(task);
            }, RecordHandler.blocking((record) -> {
                allInside.countDown();
                release.await();
            }));
            List<Delivery> burst = new ArrayList<>();
            for (int offset = 0; offset < concurrency; offset++) {
                burst.add(delivery(0, offset));
            }
            runner.submitAll(burst);
            assertThat(allInside.await(30, TimeUnit.SECONDS)).as("every slot's handler entered at once").isTrue();
            assertThat(workers.get()).as("one worker per blocked call, no more").isEqualTo(concurrency);
            release.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> this.acked.size() == concurrency);
            assertThat(runner.backlog()).isZero();
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWorkerWhoseHandlerReturnedAStageGoesOnWithWhatWaits() {
        Queue<Runnable> tasks = new ArrayDeque<>();
        List<java.util.concurrent.CompletableFuture<Void>> stages = new ArrayList<>();
        SubscriptionRunner runner = runner(Ordering.UNORDERED, 10, tasks::add, (record) -> {
            java.util.concurrent.CompletableFuture<Void> stage = new java.util.concurrent.CompletableFuture<>();
            stages.add(stage);
            return stage;
        });
        List<Delivery> burst = new ArrayList<>();
        for (int offset = 0; offset < 5; offset++) {
            burst.add(delivery(0, offset));
        }
        runner.submitAll(burst);
        tasks.poll().run();
        assertThat(stages).as("the first worker started all five").hasSize(5);
        stages.forEach((stage) -> stage.complete(null));
        assertThat(this.acked).containsExactlyInAnyOrder("0@0", "0@1", "0@2", "0@3", "0@4");
    }

    private SubscriptionRunner runner(Ordering ordering, int concurrency, java.util.concurrent.Executor executor,
            RecordHandler<byte[], byte[]> handler) {
        Subscription<byte[], byte[]> subscription = Subscription.builder("s").topics("t").ordering(ordering)
            .concurrency(concurrency)
            .handler(handler)
            .build();
        return new SubscriptionRunner(subscription, executor, new EngineStats(), java.time.Clock.systemUTC());
    }

    private Delivery delivery(int partition, long offset) {
        OffsetTracker tracker = this.trackers.computeIfAbsent(new TopicPartition("t", partition), OffsetTracker::new);
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("t", partition, offset, null, new byte[0]);
        TrackedRecord tracked = tracker.track(raw, new String[] { "s" }, (r) -> this.acked.add(partition + "@" + offset));
        @SuppressWarnings("unchecked")
        ConsumerRecord<Object, Object> record = (ConsumerRecord<Object, Object>) (ConsumerRecord<?, ?>) raw;
        return new Delivery(tracked, 0, record);
    }

}
