package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ackflow.consumer.state.LivelockDetector;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The threads handlers run on, with the engine's own executors on MockConsumer: each subscription
 * has threads of its own, named {@code ackflow-<engine>-<subscription>-<n>} on every JDK (virtual
 * threads on 21+), and that name is what the snapshot and the stuck-partition WARN show.
 */
class HandlerThreadsTest {

    private static final TopicPartition ORDERS = new TopicPartition("orders", 0);

    private static final boolean VIRTUAL_THREADS = Runtime.version().feature() >= 21;

    private final RecordingConsumer consumer = new RecordingConsumer();

    private final MutableClock clock = new MutableClock();

    private final CountDownLatch release = new CountDownLatch(1);

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    private final Logger livelockLogger = (Logger) LoggerFactory.getLogger(LivelockDetector.class);

    private AckflowEngine engine;

    @AfterEach
    void stop() throws InterruptedException {
        this.release.countDown();
        this.livelockLogger.detachAppender(this.logs);
        if (this.engine != null) {
            this.engine.stop();
        }
    }

    /**
     * Platform threads, as on 17-20: "slow" blocks on each record and may run two at once with two
     * threads at most, so both its threads are held; "fast" reads the same records and still
     * handles every one of them, on threads of its own.
     */
    @Test
    void aListenerWhoseHandlersAllBlockLeavesAnotherListenerItsThreads() {
        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        Map<String, Set<String>> threads = new ConcurrentHashMap<>();
        this.engine = AckflowEngine.builder()
            .name("shop")
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().virtualThreads(false).handlerThreads(2).build())
            .subscription(Subscription.builder("slow").topics("orders").ordering(Ordering.UNORDERED).concurrency(2)
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    record(seen, threads, "slow", record.offset());
                    this.release.await();
                }))
                .build())
            .subscription(Subscription.builder("fast").topics("orders").ordering(Ordering.PARTITION).concurrency(2)
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> record(seen, threads, "fast", record.offset())))
                .build())
            .build();
        this.consumer.schedulePollTask(() -> {
            this.consumer.assignAtZero(ORDERS);
            for (long offset = 0; offset < 10; offset++) {
                this.consumer.add("orders", 0, offset, "k" + offset, "v" + offset);
            }
        });
        this.engine.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> seen.getOrDefault("fast", List.of()).size() == 10);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.getOrDefault("slow", List.of()).size() == 2);
        assertThat(seen.get("fast")).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(seen.get("slow")).containsExactlyInAnyOrder(0L, 1L);
        assertThat(threads.get("slow")).hasSize(2).allMatch((name) -> name.matches("ackflow-shop-slow-[12]"));
        assertThat(threads.get("fast")).isNotEmpty().allMatch((name) -> name.matches("ackflow-shop-fast-[12]"));

        this.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.get("slow").size() == 10);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.engine.stats().acked() == 10);
    }

    /**
     * With the default settings: virtual threads on 21+, platform threads before, named alike; the
     * snapshot and the stuck-partition WARN name the thread that holds the record.
     */
    @Test
    void theThreadHoldingAStuckRecordIsNamedInTheSnapshotAndTheWarn() {
        this.logs.start();
        this.livelockLogger.addAppender(this.logs);
        List<Thread> holders = Collections.synchronizedList(new ArrayList<>());
        this.engine = AckflowEngine.builder()
            .name("shop")
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitLivelockSoftTimeout(Duration.ofMinutes(5)).build())
            .subscription(Subscription.builder("audit").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    holders.add(Thread.currentThread());
                    this.release.await();
                }))
                .build())
            .build();
        this.consumer.schedulePollTask(() -> {
            this.consumer.assignAtZero(ORDERS);
            this.consumer.add("orders", 0, 0, "k0", "v0");
        });
        this.engine.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> holders.size() == 1);
        Thread holder = holders.get(0);
        assertThat(holder.getName()).isEqualTo("ackflow-shop-audit-1");
        assertThat(isVirtual(holder)).as("virtual threads on 21+").isEqualTo(VIRTUAL_THREADS);

        this.clock.advance(Duration.ofMinutes(6));
        PartitionSnapshot stuck = await().atMost(Duration.ofSeconds(10))
            .until(() -> this.engine.snapshot().stuckPartitions(), (partitions) -> !partitions.isEmpty()).get(0);
        assertThat(stuck.oldestPendingThread()).isEqualTo("ackflow-shop-audit-1");
        await().atMost(Duration.ofSeconds(10)).until(() -> !this.logs.list.isEmpty());
        assertThat(this.logs.list.get(0).getFormattedMessage()).startsWith("Partition orders-0 is stuck at offset 0")
            .contains("audit since ", " on thread 'ackflow-shop-audit-1'");
    }

    private static void record(Map<String, List<Long>> seen, Map<String, Set<String>> threads, String id, long offset) {
        seen.computeIfAbsent(id, (key) -> Collections.synchronizedList(new ArrayList<>())).add(offset);
        threads.computeIfAbsent(id, (key) -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread().getName());
    }

    /** {@code Thread.isVirtual()}, a Java 21 method, on any JDK. */
    private static boolean isVirtual(Thread thread) {
        try {
            return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        }
        catch (ReflectiveOperationException ex) {
            return false;
        }
    }

}
