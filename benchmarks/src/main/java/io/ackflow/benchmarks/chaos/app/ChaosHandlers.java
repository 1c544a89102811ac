package io.ackflow.benchmarks.chaos.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.kafka.core.KafkaTemplate;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.spring.StreamListener;
import io.ackflow.spring.StreamListenerRegistry;

/**
 * The two listeners of the chaos run's input topic.
 * <ul>
 * <li>{@code write} reads the record's value as a {@link ChaosEvent} (JSON; a value that is not
 * is a poison pill, which Ackflow hands to the error policy and the configuration dead-letters)
 * and writes {@code partition,offset,seq,instance} to the output topic under the record's key,
 * waiting for the broker's acknowledgement before it returns, so a record is released only once
 * its output is durable. A share of the records, chosen by a hash of their coordinates, fails on
 * its first attempt in this JVM (and succeeds on the retry). When the harness drops the stall
 * file, the next record waits {@code chaos.stall}, and on until the engine reports it stuck,
 * before it is written.</li>
 * <li>{@code count} takes the raw record, counts it and appends its partition and offset (12
 * bytes) to this JVM's count file before it returns: a file survives a SIGKILL, so the harness can
 * tell what this listener saw even of an instance it killed.</li>
 * </ul>
 * Handler threads call both; the stall watcher runs on a thread of its own.
 */
class ChaosHandlers {

    private static final Logger logger = LoggerFactory.getLogger(ChaosHandlers.class);

    private final KafkaTemplate<String, String> template;

    private final String outputTopic;

    private final String instance;

    private final int failurePerMillion;

    private final long stallMillis;

    private final long livelockTimeoutMillis;

    private final ObjectProvider<StreamListenerRegistry> registry;

    private final Path stallTrigger;

    private final FileChannel counts;

    private final AtomicLong counted = new AtomicLong();

    private final AtomicLong written = new AtomicLong();

    private final AtomicLong failedOnPurpose = new AtomicLong();

    /** Coordinates that already failed once in this JVM: their next attempt succeeds. */
    private final Set<Long> failedOnce = ConcurrentHashMap.newKeySet();

    private final AtomicBoolean stallArmed = new AtomicBoolean();

    private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor((task) -> {
        Thread thread = new Thread(task, "chaos-stall-watcher");
        thread.setDaemon(true);
        return thread;
    });

    ChaosHandlers(KafkaTemplate<String, String> template, ObjectProvider<StreamListenerRegistry> registry,
            @Value("${ackflow.commit-livelock-soft-timeout}") java.time.Duration livelockTimeout,
            @Value("${chaos.output-topic}") String outputTopic,
            @Value("${chaos.instance}") String instance, @Value("${chaos.failure-rate:0}") double failureRate,
            @Value("${chaos.stall:4s}") java.time.Duration stall, @Value("${chaos.stall-trigger}") Path stallTrigger,
            @Value("${chaos.count-dir}") Path countDir) throws IOException {
        this.template = template;
        this.registry = registry;
        this.livelockTimeoutMillis = livelockTimeout.toMillis();
        this.outputTopic = outputTopic;
        this.instance = instance;
        this.failurePerMillion = (int) Math.round(failureRate * 1_000_000);
        this.stallMillis = stall.toMillis();
        this.stallTrigger = stallTrigger;
        Files.createDirectories(countDir);
        Path countFile = countDir.resolve(instance + "-" + ProcessHandle.current().pid() + ".bin");
        this.counts = FileChannel.open(countFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        this.watcher.scheduleWithFixedDelay(this::watchStallTrigger, 100, 100, TimeUnit.MILLISECONDS);
        this.watcher.scheduleWithFixedDelay(this::progress, 2, 2, TimeUnit.SECONDS);
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(this::progress));
        }
        catch (IllegalStateException stopping) {
            // a SIGTERM while the application was still starting: it stops before it consumes
        }
        logger.info("CHAOS {} started", instance);
    }

    @StreamListener(id = "write", topics = "${chaos.input-topic}", ordering = Ordering.KEY, concurrency = 32)
    void write(ConsumerRecord<String, ChaosEvent> record) throws Exception {
        long coordinates = ((long) record.partition() << 48) | record.offset();
        if (failsFirst(coordinates) && this.failedOnce.add(coordinates)) {
            this.failedOnPurpose.incrementAndGet();
            throw new ChaosFailure("first attempt at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " fails on purpose");
        }
        if (this.stallArmed.compareAndSet(true, false)) {
            stall(record);
        }
        String line = record.partition() + "," + record.offset() + "," + record.value().seq() + "," + this.instance;
        this.template.send(this.outputTopic, record.key(), line).get(); // released only once the output is durable
        this.failedOnce.remove(coordinates);
        this.written.incrementAndGet();
    }

    @StreamListener(id = "count", topics = "${chaos.input-topic}", ordering = Ordering.KEY, concurrency = 32)
    void count(ConsumerRecord<byte[], byte[]> record) throws IOException {
        ByteBuffer entry = ByteBuffer.allocate(12).putInt(record.partition()).putLong(record.offset()).flip();
        while (entry.hasRemaining()) {
            this.counts.write(entry);
        }
        this.counted.incrementAndGet();
    }

    /**
     * Holds the record for the stall time, then on until the engine's snapshot shows its partition
     * stuck at this offset and a livelock timeout more (so the warning naming it is logged even
     * when an earlier stuck record of the partition was reported just before), at most a minute.
     * The record is reported only once it is its partition's first unacked record: right after a
     * rebalance the earlier records of its partition may still be queued behind the concurrency
     * bound for longer than the stall time.
     */
    private void stall(ConsumerRecord<String, ChaosEvent> record) throws InterruptedException {
        logger.info("CHAOS {} stalls {}-{}@{} for {} ms or more", this.instance, record.topic(), record.partition(),
                record.offset(), this.stallMillis);
        long start = System.nanoTime();
        Thread.sleep(this.stallMillis);
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        long deadline = start + TimeUnit.MINUTES.toNanos(1);
        while (!stuckAt(partition, record.offset()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        boolean reported = stuckAt(partition, record.offset());
        if (reported) {
            Thread.sleep(this.livelockTimeoutMillis);
        }
        logger.info("CHAOS {} released {}-{}@{} after {} ms ({})", this.instance, record.topic(), record.partition(),
                record.offset(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                reported ? "the engine shows it stuck" : "the engine never showed it stuck");
    }

    private boolean stuckAt(TopicPartition partition, long offset) {
        StreamListenerRegistry registry = this.registry.getIfAvailable();
        if (registry == null) {
            return false;
        }
        for (AckflowEngine engine : registry.getEngines().values()) {
            PartitionSnapshot snapshot = engine.snapshot().partition(partition);
            if (snapshot != null && snapshot.stuck() && snapshot.oldestPendingOffset() == offset) {
                return true;
            }
        }
        return false;
    }

    private boolean failsFirst(long coordinates) {
        long h = coordinates * 0x9E3779B97F4A7C15L;
        h ^= (h >>> 29);
        return Math.floorMod(h, 1_000_000L) < this.failurePerMillion;
    }

    /** A line the harness reads back: a killed instance's last one is at most two seconds old. */
    private void progress() {
        logger.info("CHAOS {} progress: written {}, counted {}, failed on purpose {}", this.instance, this.written.get(),
                this.counted.get(), this.failedOnPurpose.get());
    }

    private void watchStallTrigger() {
        try {
            if (Files.deleteIfExists(this.stallTrigger)) {
                this.stallArmed.set(true);
                logger.info("CHAOS {} armed a stall of {} ms", this.instance, this.stallMillis);
            }
        }
        catch (IOException ex) {
            logger.warn("CHAOS cannot read the stall trigger {}", this.stallTrigger, ex);
        }
    }

    /** The failure a handler raises on purpose. */
    static final class ChaosFailure extends RuntimeException {

        ChaosFailure(String message) {
            super(message, null, false, false);
        }

    }

}
