package io.ackflow.benchmarks.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a chaos run does: how many records over how many keys, for how long, with which share
 * of poison pills and of handler failures, and which faults when. Immutable.
 *
 * @param records records produced
 * @param keys distinct keys, each with its own sequence
 * @param partitions partitions of the input and output topics
 * @param instances consumer instances (JVMs) in the group
 * @param producePhase how long the producer spreads the records over; the faults fall in it
 * @param poisonRate share of records that are poison pills (not JSON)
 * @param failureRate share of records whose first attempt fails (then retried)
 * @param faultEvery time between two faults, or null for the fixed short schedule
 * @param stall how long the stalled record is held at least, above {@code livelockTimeout}
 * @param livelockTimeout {@code ackflow.commit-livelock-soft-timeout} of the instances
 * @param drainTimeout how long the consumers may take, after the last record is produced, to commit the end of the input
 * @param groupProtocol {@code group.protocol} of the consumers: classic or consumer
 * @param seed seed of the keys and of the poison pills
 * @param dir work directory: the broker's data, every process's log, the count files
 */
public record ChaosSettings(long records, int keys, int partitions, int instances, Duration producePhase, double poisonRate,
        double failureRate, Duration faultEvery, Duration stall, Duration livelockTimeout, Duration drainTimeout,
        String groupProtocol, long seed, Path dir) {

    /** What a fault does. */
    public enum FaultKind {

        /** SIGKILL one consumer instance, then start it again. */
        KILL_CONSUMER,
        /** SIGTERM one consumer instance, wait for it to exit, then start it again. */
        STOP_CONSUMER,
        /** SIGKILL the broker, then start it again on the same data and ports. */
        KILL_BROKER,
        /** Make one instance's next record wait past the livelock timeout. */
        STALL

    }

    /** A fault and when it falls, counted from the start of the produce phase. */
    public record Fault(Duration at, FaultKind kind) {
    }

    /**
     * The settings from {@code chaos.*} system properties, the short run's where unset:
     * {@code chaos.records} (100000), {@code chaos.duration} (the produce phase, 60s),
     * {@code chaos.keys} (1000), {@code chaos.instances} (3), {@code chaos.partitions} (6),
     * {@code chaos.poison-rate} (0.01), {@code chaos.failure-rate} (0.02), {@code chaos.fault-every}
     * (unset: five faults at fixed points, one of each kind and a second SIGKILL),
     * {@code chaos.drain-timeout} (3m), {@code chaos.group-protocol} (classic), {@code chaos.seed},
     * {@code chaos.dir} (benchmarks/target/chaos/&lt;time&gt;).
     */
    public static ChaosSettings fromSystemProperties() {
        String every = System.getProperty("chaos.fault-every");
        String dir = System.getProperty("chaos.dir");
        return new ChaosSettings(Long.getLong("chaos.records", 100_000), Integer.getInteger("chaos.keys", 1_000),
                Integer.getInteger("chaos.partitions", 6), Integer.getInteger("chaos.instances", 3),
                duration(System.getProperty("chaos.duration", "60s")),
                Double.parseDouble(System.getProperty("chaos.poison-rate", "0.01")),
                Double.parseDouble(System.getProperty("chaos.failure-rate", "0.02")),
                (every != null) ? duration(every) : null, Duration.ofSeconds(4), Duration.ofSeconds(2),
                duration(System.getProperty("chaos.drain-timeout", "3m")),
                System.getProperty("chaos.group-protocol", "classic"), Long.getLong("chaos.seed", 20261201L),
                (dir != null) ? Path.of(dir) : defaultDir());
    }

    private static Path defaultDir() {
        String stamp = java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path target = Path.of("target").toFile().isDirectory() ? Path.of("target") : Path.of("benchmarks", "target");
        return target.resolve("chaos").resolve(stamp).toAbsolutePath();
    }

    /** {@code 500ms}, {@code 90s}, {@code 20m}, {@code 1h}, or an ISO-8601 duration. */
    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("pt")) {
            return Duration.parse(text);
        }
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        long amount = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 'h' -> Duration.ofHours(amount);
            default -> throw new IllegalArgumentException("not a duration: " + text + " (write 500ms, 90s, 20m or 1h)");
        };
    }

    /**
     * The faults in time order. The short schedule puts one SIGKILL of a consumer, a stall, a
     * graceful restart, a SIGKILL of the broker and a second SIGKILL of a consumer at fixed shares
     * of the produce phase; the periodic one cycles through kill, stop, stall, kill, stop, kill,
     * broker every {@code faultEvery}, ending half a period before the produce phase does.
     */
    public List<Fault> faults() {
        List<Fault> faults = new ArrayList<>();
        long phase = this.producePhase.toMillis();
        if (this.faultEvery == null) {
            faults.add(new Fault(Duration.ofMillis(phase * 13 / 100), FaultKind.KILL_CONSUMER));
            faults.add(new Fault(Duration.ofMillis(phase * 30 / 100), FaultKind.STALL));
            faults.add(new Fault(Duration.ofMillis(phase * 42 / 100), FaultKind.STOP_CONSUMER));
            faults.add(new Fault(Duration.ofMillis(phase * 63 / 100), FaultKind.KILL_BROKER));
            faults.add(new Fault(Duration.ofMillis(phase * 83 / 100), FaultKind.KILL_CONSUMER));
            return faults;
        }
        FaultKind[] cycle = { FaultKind.KILL_CONSUMER, FaultKind.STOP_CONSUMER, FaultKind.STALL, FaultKind.KILL_CONSUMER,
            FaultKind.STOP_CONSUMER, FaultKind.KILL_CONSUMER, FaultKind.KILL_BROKER };
        long every = this.faultEvery.toMillis();
        for (long at = every, i = 0; at < phase - every / 2; at += every, i++) {
            faults.add(new Fault(Duration.ofMillis(at), cycle[(int) (i % cycle.length)]));
        }
        return faults;
    }

    String describe() {
        return String.format(Locale.ROOT,
                "%,d records over %,d keys, %d partitions, %d instances (%s protocol), produced over %s; poison pills %.2f %%,"
                        + " first-attempt failures %.2f %%; faults %s; stall %s past a livelock timeout of %s",
                this.records, this.keys, this.partitions, this.instances, this.groupProtocol, human(this.producePhase),
                this.poisonRate * 100, this.failureRate * 100,
                (this.faultEvery == null) ? "on the short schedule" : "every " + human(this.faultEvery), human(this.stall),
                human(this.livelockTimeout));
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        return (ms % 60_000 == 0 && ms >= 60_000) ? (ms / 60_000) + " min" : (ms % 1000 == 0) ? (ms / 1000) + " s" : ms + " ms";
    }

}
