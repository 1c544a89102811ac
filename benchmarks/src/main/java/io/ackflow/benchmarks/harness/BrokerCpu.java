package io.ackflow.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of the broker, a process of its own that serves every arm's fetches on the same
 * cores: what a consumer costs the machine is its own CPU plus the broker's. Read from
 * {@code /proc/<pid>/stat} (user and system time, in the kernel's fixed 100 ticks per second),
 * so on Linux only; elsewhere, or without the broker's pid, it reads -1 and the table shows "-".
 */
final class BrokerCpu {

    private static final long NANOS_PER_TICK = 10_000_000L;

    private final Path stat;

    /** @param pid the broker's process id, or a blank or negative one when unknown */
    BrokerCpu(String pid) {
        this.stat = (pid != null && pid.matches("\\d+")) ? Path.of("/proc", pid, "stat") : null;
    }

    /** CPU nanoseconds the broker used so far, or -1 when they cannot be read. */
    long nanos() {
        if (this.stat == null) {
            return -1;
        }
        try {
            String line = Files.readString(this.stat);
            // The command name in parentheses may hold spaces: fields count from after it.
            String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
        }
        catch (IOException | RuntimeException ex) {
            return -1;
        }
    }

    /** CPU nanoseconds between two readings, or -1 when either could not be read. */
    static long between(long start, long end) {
        return (start < 0 || end < 0) ? -1 : end - start;
    }

}
