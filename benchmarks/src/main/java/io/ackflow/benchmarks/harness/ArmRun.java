package io.ackflow.benchmarks.harness;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One run of one arm: start it, wait for its first record, let it warm up, measure a window,
 * stop it and check what it committed. The window opens after the warm-up and closes after its
 * length, or earlier when the topic runs out; records, poll-thread CPU and process CPU are taken
 * at both edges from this thread, which otherwise sleeps (10 ms ticks). Only the harness thread
 * uses it.
 */
final class ArmRun {

    private static final long TICK_MILLIS = 10;

    private static final long FIRST_RECORD_TIMEOUT_SECONDS = 60;

    private final String bootstrap;

    private final Admin admin;

    private final LogWatch logs;

    private int runs;

    private final BrokerCpu broker;

    ArmRun(String bootstrap, Admin admin, LogWatch logs, BrokerCpu broker) {
        this.bootstrap = bootstrap;
        this.broker = broker;
        this.admin = admin;
        this.logs = logs;
    }

    RunResult run(Variant variant, Workload workload, Topic topic, double warmupSeconds, double windowSeconds,
            int round, int position) throws Exception {
        Arm arm = variant.create();
        Spec spec = new Spec(this.bootstrap, topic.name, "bench-" + (++this.runs) + "-" + System.nanoTime(), workload,
                variant.ordering(), variant.concurrency(), topic.partitions());
        System.gc();
        Probe probe = new Probe();
        Completions completions = new Completions(topic, workload.handlers, probe);
        ThreadCpu pollThreads = new ThreadCpu(arm::isPollThread);
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        HeapWatch.get().reset();
        this.logs.reset();
        long total = topic.total();

        long startedAt = System.nanoTime();
        arm.start(spec, completions);
        while (probe.completed() == 0 && seconds(startedAt) < FIRST_RECORD_TIMEOUT_SECONDS) {
            tick();
        }
        long firstAt = System.nanoTime();
        while (seconds(firstAt) < warmupSeconds && probe.completed() < total) {
            tick();
        }
        long windowStart = System.nanoTime();
        long recordsAtStart = probe.completed();
        Map<Long, Long> pollAtStart = pollThreads.sample();
        long processAtStart = ThreadCpu.processNanos();
        long brokerAtStart = this.broker.nanos();
        probe.startWindow();
        while (seconds(windowStart) < windowSeconds && probe.completed() < total && recordsAtStart > 0) {
            tick();
        }
        long windowEnd = System.nanoTime();
        long recordsAtEnd = probe.completed();
        Map<Long, Long> pollAtEnd = pollThreads.sample();
        long processAtEnd = ThreadCpu.processNanos();
        long brokerAtEnd = this.broker.nanos();
        probe.endWindow();

        long stopAt = System.nanoTime();
        boolean clean = arm.stop();
        double stopSeconds = seconds(stopAt);
        Map<Integer, Long> committed = arm.commitsOffsets() ? committed(arm.groups(spec), topic) : Map.of();
        HeapWatch heap = HeapWatch.get();
        return new RunResult(variant, round, position, load, (firstAt - startedAt) / 1e9, recordsAtEnd - recordsAtStart,
                (windowEnd - windowStart) / 1e9, recordsAtEnd >= total, ThreadCpu.between(pollAtStart, pollAtEnd),
                pollThreads.names(), arm.hasCeiling(), processAtEnd - processAtStart,
                BrokerCpu.between(brokerAtStart, brokerAtEnd), heap.peakMb(), heap.liveMb(),
                heap.collections(), heap.pauseMillis(), probe.p50Millis(), probe.p99Millis(), stopSeconds, clean,
                committed.values().stream().mapToLong(Long::longValue).sum(), completions.missingBelow(committed),
                completions.duplicates(), completions.badValues(), this.logs.warnings(), this.logs.first());
    }

    /** The committed offset of each partition: the lowest over the arm's groups, 0 where one has none. */
    private Map<Integer, Long> committed(List<String> groups, Topic topic) throws Exception {
        Map<Integer, Long> lowest = new HashMap<>();
        for (int p = 0; p < topic.partitions(); p++) {
            lowest.put(p, Long.MAX_VALUE);
        }
        for (String group : groups) {
            Map<TopicPartition, OffsetAndMetadata> offsets = this.admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
            for (int p = 0; p < topic.partitions(); p++) {
                OffsetAndMetadata offset = offsets.get(new TopicPartition(topic.name, p));
                lowest.merge(p, (offset != null) ? offset.offset() : 0L, Math::min);
            }
        }
        return lowest;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void tick() throws InterruptedException {
        Thread.sleep(TICK_MILLIS);
    }

}
