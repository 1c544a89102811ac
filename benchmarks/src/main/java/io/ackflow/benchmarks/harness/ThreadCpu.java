package io.ackflow.benchmarks.harness;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * CPU time of chosen threads ({@link ThreadMXBean#getThreadCpuTime}) and of the whole process
 * ({@code com.sun.management.OperatingSystemMXBean#getProcessCpuTime}). Threads are chosen by
 * name among those started after a given moment, so that a thread left over from an earlier arm
 * with the same name is never counted. Virtual threads have no CPU time of their own here; their
 * carriers' time is in the process figure. Called by the harness thread only.
 */
final class ThreadCpu {

    private static final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    static {
        if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
            threads.setThreadCpuTimeEnabled(true);
        }
    }

    private final Set<Long> before;

    private final Predicate<String> names;

    private final Set<String> seen = new TreeSet<>();

    /** Chooses the threads started from now on whose name matches. */
    ThreadCpu(Predicate<String> names) {
        this.before = new HashSet<>();
        for (long id : threads.getAllThreadIds()) {
            this.before.add(id);
        }
        this.names = names;
    }

    /** CPU nanoseconds so far of each chosen thread alive now, by thread id. */
    Map<Long, Long> sample() {
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && !this.before.contains(info.getThreadId()) && this.names.test(info.getThreadName())) {
                long nanos = threads.getThreadCpuTime(info.getThreadId());
                if (nanos >= 0) {
                    cpu.put(info.getThreadId(), nanos);
                    this.seen.add(info.getThreadName());
                }
            }
        }
        return cpu;
    }

    /** CPU nanoseconds the chosen threads spent between two samples (a thread born in between counts whole). */
    static long between(Map<Long, Long> start, Map<Long, Long> end) {
        long nanos = 0;
        for (Map.Entry<Long, Long> thread : end.entrySet()) {
            nanos += thread.getValue() - start.getOrDefault(thread.getKey(), 0L);
        }
        return nanos;
    }

    /** Names of the threads the samples found. */
    Set<String> names() {
        return this.seen;
    }

    static long processNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

}
