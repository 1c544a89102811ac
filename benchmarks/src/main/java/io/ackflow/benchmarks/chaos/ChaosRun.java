package io.ackflow.benchmarks.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.benchmarks.chaos.ChaosSettings.Fault;
import io.ackflow.benchmarks.chaos.app.ChaosConsumerApplication;
import io.ackflow.consumer.testing.BrokerProcess;
import io.ackflow.consumer.testing.ChildJvm;

import static org.awaitility.Awaitility.await;

/**
 * A chaos run: a broker process, consumer instances in one group as processes of their own, a
 * producer, faults on a schedule, then a drain and the {@link ChaosVerifier}'s figures.
 * <p>
 * Sequence: start the broker, create the topics, start the instances and wait for the group to
 * be stable with all of them; produce on a thread of its own while this thread applies the faults
 * at their times; wait (up to the drain timeout) for the group's committed offsets to reach the
 * input's end offsets; stop the instances with SIGTERM; verify; stop the broker. Every process it
 * started is killed in {@link #close}, which a JVM shutdown hook also runs.
 * <p>
 * Run the long version with
 * {@code mvn -B -ntp -pl benchmarks exec:exec -Dbench.main=io.ackflow.benchmarks.chaos.ChaosRun -Dbench.jvmArgs="-Xmx1g -Dchaos.duration=20m -Dchaos.records=1500000 -Dchaos.fault-every=15s -Dchaos.drain-timeout=10m"};
 * the exit code is 0 when the promise held.
 */
public final class ChaosRun implements AutoCloseable {

    static final String INPUT = "chaos-in";

    static final String OUTPUT = "chaos-out";

    static final String DEAD_LETTERS = INPUT + ".DLT";

    static final String GROUP = "chaos";

    /**
     * How long after the broker is back a member may still process records it no longer owns: a
     * session timeout (6 s) until it learns it was dropped, and a few commit intervals (1 s).
     */
    static final long BROKER_AFTERMATH_MILLIS = 10_000;

    private final ChaosSettings settings;

    private final List<ChildJvm> instances = new ArrayList<>();

    private final List<FaultEvent> events = Collections.synchronizedList(new ArrayList<>());

    private final List<String> anomalies = Collections.synchronizedList(new ArrayList<>());

    private final Map<ChildJvm, Long> startedAt = new HashMap<>();

    private final Thread shutdownHook = new Thread(this::destroyAll, "chaos-cleanup");

    private BrokerProcess broker;

    private long startNanos;

    private Map<TopicPartition, Long> lastCommitted = Map.of();

    public ChaosRun(ChaosSettings settings) {
        this.settings = settings;
    }

    public static void main(String[] args) throws Exception {
        ChaosSettings settings = ChaosSettings.fromSystemProperties();
        ChaosReport report;
        try (ChaosRun run = new ChaosRun(settings)) {
            report = run.run();
        }
        System.out.println(report.describe());
        System.exit(report.promiseHeld() ? 0 : 1);
    }

    /** Runs the whole sequence and returns the figures; the processes are stopped by {@link #close}. */
    public ChaosReport run() throws Exception {
        Runtime.getRuntime().addShutdownHook(this.shutdownHook);
        this.startNanos = System.nanoTime();
        Path dir = this.settings.dir();
        Files.createDirectories(dir);
        log("work directory " + dir);
        log(this.settings.describe());
        this.broker = new BrokerProcess(dir.resolve("broker"), this.settings.partitions());
        this.broker.start(Duration.ofSeconds(90));
        log("broker on " + this.broker.bootstrap() + " " + this.broker.jvm());
        try (Admin admin = this.broker.admin()) {
            admin.createTopics(List.of(new NewTopic(INPUT, this.settings.partitions(), (short) 1),
                    new NewTopic(OUTPUT, this.settings.partitions(), (short) 1), new NewTopic(DEAD_LETTERS, 2, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);
        }
        for (int i = 1; i <= this.settings.instances(); i++) {
            ChildJvm instance = instance("consumer-" + i);
            this.instances.add(instance);
            start(instance);
        }
        awaitStableGroup(this.settings.instances(), Duration.ofSeconds(180));
        log("group '" + GROUP + "' stable with " + this.settings.instances() + " members");

        ChaosProducer producer = new ChaosProducer(this.broker.bootstrap(), INPUT, this.settings);
        Thread producing = new Thread(() -> {
            try {
                producer.run();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }, "chaos-producer");
        long produceStart = System.nanoTime();
        producing.start();
        // A fault that took longer than the period (a broker restart does) delays the next ones
        // rather than letting them fall in a burst: at least half a period lies between two.
        long gap = (this.settings.faultEvery() != null) ? this.settings.faultEvery().toNanos() / 2 : 0;
        long previousEnd = produceStart;
        for (Fault fault : this.settings.faults()) {
            long due = Math.max(produceStart + fault.at().toNanos(), previousEnd + gap);
            if (due - produceStart > this.settings.producePhase().toNanos()) {
                log("no time left in the produce phase for the remaining faults");
                break;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // the schedule's own time, not a condition
            }
            apply(fault);
            previousEnd = System.nanoTime();
        }
        producing.join();
        log(String.format("produced %,d records (%,d acknowledged, %,d failed)", producer.sent(), producer.acked(),
                producer.failed()));
        if (producer.failed() > 0) {
            this.anomalies.add("the producer failed on " + producer.failed() + " records: " + producer.firstFailure());
        }
        for (ChildJvm instance : this.instances) {
            if (!instance.isAlive()) {
                this.anomalies.add(instance.name() + " exited by itself with " + instance.exitCode() + "; restarted");
                start(instance);
            }
        }

        Map<TopicPartition, Long> end = endOffsets();
        boolean drained = awaitCommitted(end);
        long drainedAt = elapsedMillis();
        log(drained ? "the group committed the end of the input" : "the group did NOT commit the end of the input within "
                + ChaosSettings.human(this.settings.drainTimeout()));
        stopInstances();
        Map<TopicPartition, Long> committed = committedOffsets();
        ChaosVerifier verifier = new ChaosVerifier(this.broker.bootstrap(), this.settings, List.copyOf(this.events));
        ChaosReport report = verifier.verify(producer.acked(), end, committed, this.instances, List.copyOf(this.anomalies),
                drainedAt, elapsedMillis());
        if (!this.broker.jvm().stop(60)) {
            log("the broker did not stop within 60 s; killed");
        }
        if (report.promiseHeld()) {
            deleteRecursively(this.broker.dataDir()); // the logs stay; the data of a failed run stays for a look
        }
        return report;
    }

    private ChildJvm instance(String name) {
        Path dir = this.settings.dir();
        List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none", "--spring.main.banner-mode=off",
                "--spring.kafka.bootstrap-servers=" + this.broker.bootstrap(),
                "--spring.kafka.consumer.group-id=" + GROUP, "--spring.kafka.consumer.auto-offset-reset=earliest",
                "--spring.kafka.consumer.client-id=" + name,
                "--spring.kafka.consumer.properties.group.protocol=" + this.settings.groupProtocol(),
                "--spring.kafka.producer.acks=all", "--spring.kafka.producer.client-id=" + name + "-out",
                "--spring.kafka.producer.properties.enable.idempotence=true",
                "--spring.kafka.producer.properties.linger.ms=1",
                "--spring.kafka.producer.properties.delivery.timeout.ms=300000",
                "--spring.kafka.producer.properties.max.block.ms=300000",
                "--ackflow.commit-interval=1s",
                "--ackflow.commit-livelock-soft-timeout=" + this.settings.livelockTimeout().toMillis() + "ms",
                "--ackflow.shutdown-timeout=10s", "--ackflow.rebalance-drain-timeout=10s", "--ackflow.handler-threads=64",
                "--ackflow.errors.retry.attempts=40", "--ackflow.errors.retry.delay=50ms",
                "--ackflow.errors.retry.multiplier=2", "--ackflow.errors.retry.max-delay=2s",
                "--ackflow.errors.recovery=dead-letter",
                "--chaos.input-topic=" + INPUT, "--chaos.output-topic=" + OUTPUT, "--chaos.instance=" + name,
                "--chaos.failure-rate=" + this.settings.failureRate(), "--chaos.stall=" + this.settings.stall().toMillis() + "ms",
                "--chaos.stall-trigger=" + dir.resolve("stall-" + name), "--chaos.count-dir=" + dir.resolve("counts"),
                "--logging.level.root=WARN", "--logging.level.io.ackflow=INFO"));
        if ("classic".equals(this.settings.groupProtocol())) {
            // A killed member's partitions move after 6 s (the broker's minimum) instead of 45 s.
            args.add("--spring.kafka.consumer.properties.partition.assignment.strategy="
                    + "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
            args.add("--spring.kafka.consumer.properties.session.timeout.ms=6000");
            args.add("--spring.kafka.consumer.properties.heartbeat.interval.ms=1500");
        }
        return new ChildJvm(name, "448m", ChaosConsumerApplication.class.getName(), args, dir.resolve(name + ".log"));
    }

    private void start(ChildJvm instance) throws IOException {
        instance.start();
        this.startedAt.put(instance, System.nanoTime());
    }

    private void apply(Fault fault) throws Exception {
        switch (fault.kind()) {
            case KILL_CONSUMER -> {
                ChildJvm target = nextTarget();
                Map<TopicPartition, Long> committed = committedOrNull();
                String pid = target.toString();
                target.kill();
                event("SIGKILL " + pid, committed);
                TimeUnit.SECONDS.sleep(2); // the instance stays dead a while, as a crashed one does
                start(target);
                event("start " + target, null);
            }
            case STOP_CONSUMER -> {
                ChildJvm target = nextTarget();
                Map<TopicPartition, Long> committed = committedOrNull();
                String pid = target.toString();
                long stoppedAt = System.currentTimeMillis();
                long stoppedRelative = elapsedMillis();
                log("SIGTERM " + pid);
                boolean clean = target.stop(60);
                // A stopping instance finishes what it dispatched (up to ackflow.shutdown-timeout):
                // what it processes until it exits and its final commit does not cover is read again.
                this.events.add(new FaultEvent(stoppedAt, stoppedRelative, "SIGTERM " + pid, committed,
                        System.currentTimeMillis()));
                event(clean ? target.name() + " stopped with " + target.exitCode() : target.name()
                        + " did not stop within 60 s; killed", null);
                if (!clean) {
                    this.anomalies.add(target.name() + " did not stop within 60 s of a SIGTERM");
                }
                start(target);
                event("start " + target, null);
            }
            case KILL_BROKER -> {
                Map<TopicPartition, Long> committed = committedOrNull();
                String pid = this.broker.jvm().toString();
                this.broker.jvm().kill();
                long killedAt = System.currentTimeMillis();
                long killedRelative = elapsedMillis();
                log("SIGKILL broker " + pid);
                TimeUnit.SECONDS.sleep(3); // the broker stays down a while
                this.broker.start(Duration.ofSeconds(120));
                long upAt = System.currentTimeMillis();
                FaultEvent kill = new FaultEvent(killedAt, killedRelative, "SIGKILL broker " + pid + ", down for "
                        + (upAt - killedAt) + " ms", committed, upAt + BROKER_AFTERMATH_MILLIS);
                this.events.add(kill);
                event("broker up again " + this.broker.jvm(), null);
            }
            case STALL -> {
                ChildJvm target = stallTarget();
                Files.writeString(this.settings.dir().resolve("stall-" + target.name()), "stall");
                event("stall armed in " + target.name() + " (" + ChaosSettings.human(this.settings.stall())
                        + " on its next record)", null);
            }
        }
    }

    /** The instance that has run the longest, so faults go round the group and rarely hit one still starting. */
    private ChildJvm nextTarget() {
        return this.instances.stream().min(Comparator.comparingLong((ChildJvm i) -> this.startedAt.get(i))).orElseThrow();
    }

    /** The instance that has run the second longest: the next fault hits the longest, and must not cut the stall short. */
    private ChildJvm stallTarget() {
        List<ChildJvm> byAge = this.instances.stream().sorted(Comparator.comparingLong((ChildJvm i) -> this.startedAt.get(i)))
            .toList();
        return byAge.get(Math.min(1, byAge.size() - 1));
    }

        private void event(String what, Map<TopicPartition, Long> committedBefore) {
        long now = System.currentTimeMillis();
        FaultEvent event = new FaultEvent(now, elapsedMillis(), what, committedBefore, now);
        this.events.add(event);
        System.out.println("chaos " + event);
    }

    private void log(String line) {
        System.out.printf("chaos +%,9d ms  %s%n", elapsedMillis(), line);
    }

    private long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - this.startNanos);
    }

    private void awaitStableGroup(int members, Duration timeout) {
        await("group '" + GROUP + "' stable with " + members + " members").atMost(timeout)
            .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                try (Admin admin = this.broker.admin()) {
                    ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP)).describedGroups().get(GROUP)
                        .get(5, TimeUnit.SECONDS);
                    return group.groupState() == GroupState.STABLE && group.members().size() == members
                            && group.members().stream().allMatch((m) -> !m.assignment().topicPartitions().isEmpty());
                }
            });
    }

    private boolean awaitCommitted(Map<TopicPartition, Long> end) {
        try {
            await("committed offsets of '" + GROUP + "' at " + end).atMost(this.settings.drainTimeout())
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> committedOffsets().equals(end));
            return true;
        }
        catch (org.awaitility.core.ConditionTimeoutException ex) {
            return false;
        }
    }

    private void stopInstances() throws InterruptedException {
        for (ChildJvm instance : this.instances) {
            if (instance.isAlive()) {
                event("SIGTERM " + instance + " (end of run)", null);
            }
        }
        for (ChildJvm instance : this.instances) {
            if (!instance.stop(60)) {
                this.anomalies.add(instance.name() + " did not stop within 60 s at the end of the run");
            }
        }
    }

    Map<TopicPartition, Long> endOffsets() throws ExecutionException, InterruptedException, TimeoutException {
        try (Admin admin = this.broker.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < this.settings.partitions(); p++) {
                latest.put(new TopicPartition(INPUT, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> end.put(tp, info.offset()));
            return end;
        }
    }

    Map<TopicPartition, Long> committedOffsets() throws ExecutionException, InterruptedException, TimeoutException {
        try (Admin admin = this.broker.admin()) {
            Map<TopicPartition, Long> committed = new HashMap<>();
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
            offsets.forEach((tp, om) -> {
                if (om != null && tp.topic().equals(INPUT)) {
                    committed.put(tp, om.offset());
                }
            });
            return committed;
        }
    }

    /**
     * The committed offsets just before a fault; when the broker does not answer in time, the last
     * ones read before (lower, so the in-flight window they give is wider).
     */
    private Map<TopicPartition, Long> committedOrNull() {
        try {
            this.lastCommitted = committedOffsets();
        }
        catch (Exception ex) {
            log("could not read the committed offsets before a fault, using the previous ones: " + ex);
        }
        return this.lastCommitted;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }

    private void destroyAll() {
        for (ChildJvm instance : this.instances) {
            instance.destroyNow();
        }
        if (this.broker != null) {
            this.broker.jvm().destroyNow();
        }
    }

    /** Kills whatever is still running: after a failure, or as a last resort after a normal run. */
    @Override
    public void close() {
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
        }
        catch (IllegalStateException ex) {
            // the JVM is already shutting down: the hook runs anyway
        }
    }

}
