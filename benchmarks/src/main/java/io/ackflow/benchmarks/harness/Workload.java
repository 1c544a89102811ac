package io.ackflow.benchmarks.harness;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What a handler does with a record: nothing ({@code noop}), block 5 ms ({@code sleep5}), return
 * a future that a scheduler completes 5 ms later ({@code async5}), or two no-op handlers per
 * record ({@code fanout2}).
 */
enum Workload {

    NOOP("noop", 0, 1),

    SLEEP5("sleep5", 5, 1),

    ASYNC5("async5", 5, 1),

    FANOUT2("fanout2", 0, 2);

    private static final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, (runnable) -> {
        Thread thread = new Thread(runnable, "bench-timer");
        thread.setDaemon(true);
        return thread;
    });

    final String label;

    /** Service time per record in milliseconds (0 for no-op). */
    final int serviceMillis;

    /** Handlers per record. */
    final int handlers;

    Workload(String label, int serviceMillis, int handlers) {
        this.label = label;
        this.serviceMillis = serviceMillis;
        this.handlers = handlers;
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
