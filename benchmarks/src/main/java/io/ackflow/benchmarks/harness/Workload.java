package io.ackflow.benchmarks.harness;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What a handler does with a record: nothing ({@code noop}); nothing with a 1 KB JSON value read
 * into {@link Order} ({@code json}); block 5 ms ({@code sleep5}); return a future that a
 * scheduler completes 5 ms later ({@code async5}); or two or four no-op handlers per record
 * ({@code fanout2}, {@code fanout4}). The first four are CPU-bound: the consumer is the limit. The
 * 5 ms ones are latency-bound: the limit is how many records can wait at once.
 */
enum Workload {

    NOOP("noop", 0, 1, Payload.TEXT),

    JSON("json", 0, 1, Payload.JSON),

    FANOUT2("fanout2", 0, 2, Payload.TEXT),

    FANOUT4("fanout4", 0, 4, Payload.TEXT),

    SLEEP5("sleep5", 5, 1, Payload.TEXT),

    ASYNC5("async5", 5, 1, Payload.TEXT);

    private static final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, (runnable) -> {
        Thread thread = new Thread(runnable, "bench-timer");
        thread.setDaemon(true);
        return thread;
    });

    final String label;

    /** Service time per record in milliseconds (0 for the CPU-bound ones). */
    final int serviceMillis;

    /** Handlers per record. */
    final int handlers;

    /** What the records hold. */
    final Payload payload;

    Workload(String label, int serviceMillis, int handlers, Payload payload) {
        this.label = label;
        this.serviceMillis = serviceMillis;
        this.handlers = handlers;
        this.payload = payload;
    }

    /** Whether the consumer's CPU is the limit, rather than the handler's service time. */
    boolean cpuBound() {
        return this.serviceMillis == 0;
    }

    /** Runs the handler blocking: no-op or sleep; async waits for its future. */
    void runBlocking() throws InterruptedException {
        if (this.serviceMillis > 0) {
            if (this == ASYNC5) {
                runAsync().join();
            }
            else {
                Thread.sleep(this.serviceMillis);
            }
        }
    }

    /** Runs the handler asynchronously: completes after the service time without holding a thread. */
    CompletableFuture<Void> runAsync() {
        if (this.serviceMillis == 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        timer.schedule(() -> done.complete(null), this.serviceMillis, TimeUnit.MILLISECONDS);
        return done;
    }

    static Workload of(String label) {
        for (Workload workload : values()) {
            if (workload.label.equals(label)) {
                return workload;
            }
        }
        throw new IllegalArgumentException("Unknown workload '" + label + "'");
    }

}
