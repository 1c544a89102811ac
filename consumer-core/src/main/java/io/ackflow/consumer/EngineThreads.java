package io.ackflow.consumer;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.ackflow.consumer.failure.RetryScheduler;

/**
 * The threads one run of an engine owns besides its poll thread: an executor per subscription
 * for its handlers ({@link HandlerExecutors}), unless the application gave one to share, and the
 * retry timer {@code ackflow-retry-<engine>}, a daemon thread that only hands due retries back
 * to the executors, unless the application gave a scheduler. What the engine created, it shuts
 * down; what the application gave, it leaves alone.
 * <p>
 * Threads: created and closed by the poll thread; the executors and the timer are thread-safe.
 */
final class EngineThreads implements AutoCloseable {

    private final Map<Subscription<?, ?>, ExecutorService> owned = new IdentityHashMap<>();

    private final Executor shared;

    private final ScheduledExecutorService ownedTimer;

    private final RetryScheduler retries;

    /**
     * @param sharedExecutor the application's executor for every subscription, or null for one each
     * @param retryScheduler the application's retry scheduler, or null for the engine's timer
     */
    EngineThreads(String engineName, EngineConfig config, List<Subscription<?, ?>> subscriptions,
            Executor sharedExecutor, RetryScheduler retryScheduler) {
        this.shared = sharedExecutor;
        if (sharedExecutor == null) {
            for (Subscription<?, ?> subscription : subscriptions) {
                this.owned.put(subscription, HandlerExecutors.create(engineName, subscription, config));
            }
        }
        if (retryScheduler != null) {
            this.ownedTimer = null;
            this.retries = retryScheduler;
        }
        else {
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, (task) -> {
                Thread thread = new Thread(task, "ackflow-retry-" + engineName);
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
            this.ownedTimer = timer;
            this.retries = (task, delay) -> timer.schedule(task, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** The executor {@code subscription}'s handlers run on. */
    Executor executor(Subscription<?, ?> subscription) {
        return (this.shared != null) ? this.shared : this.owned.get(subscription);
    }

    /** Where retries wait for their back-off. */
    RetryScheduler retries() {
        return this.retries;
    }

    /** Stops what the engine created: running handlers are interrupted, waiting retries dropped. */
    @Override
    public void close() {
        if (this.ownedTimer != null) {
            this.ownedTimer.shutdownNow();
        }
        this.owned.values().forEach(ExecutorService::shutdownNow);
    }

}
