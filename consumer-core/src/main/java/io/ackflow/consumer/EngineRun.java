package io.ackflow.consumer;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;


/**
 * The one run of an engine: its state ({@code NEW}, {@code RUNNING}, {@code STOPPING}, then
 * {@code STOPPED} or {@code FAILED}), its poll thread, the poll loop that thread builds, and the
 * requests other threads hand to that loop. A request made while the engine runs waits for the
 * loop to be built; one made when it does not run (never started, stopped, failed) fails at once,
 * since no poll thread would ever carry it out.
 * <p>
 * Threads: {@link #start}, {@link #stop}, {@link #request}, {@link #state} and {@link #loopNow}
 * are safe from any thread; the poll thread runs the loop.
 */
final class EngineRun {

    private final EngineParts parts;

    private final EngineStats stats;

    private final ShareStats shareStats;

    private final AtomicReference<EngineState> state = new AtomicReference<>(EngineState.NEW);

    private final CountDownLatch stopped = new CountDownLatch(1);

    /** The poll loop, once the poll thread has built it; failed when it never will be. */
    private final CompletableFuture<RunLoop> loop = new CompletableFuture<>();

    private volatile Throwable failure;

    EngineRun(EngineParts parts, EngineStats stats, ShareStats shareStats) {
        this.parts = parts;
        this.stats = stats;
        this.shareStats = shareStats;
    }

    EngineState state() {
        return this.state.get();
    }

    Throwable failure() {
        return this.failure;
    }

    /** The poll loop if it is built, else null. */
    RunLoop loopNow() {
        return this.loop.getNow(null);
    }

    /** Starts the poll thread; see {@link AckflowEngine#start()}. */
    void start() {
        if (!this.state.compareAndSet(EngineState.NEW, EngineState.RUNNING)) {
            throw new IllegalStateException("Engine '" + this.parts.name() + "' was already started; it is " + this.state.get());
        }
        Thread thread = new Thread(this::runPollThread, "ackflow-poll-" + this.parts.name());
        thread.setDaemon(false);
        thread.start();
    }

    /** Stops the engine; see {@link AckflowEngine#stop(Duration)}. */
    boolean stop(Duration grace) throws InterruptedException {
        if (this.state.compareAndSet(EngineState.NEW, EngineState.STOPPED)) {
            this.loop.completeExceptionally(new EngineNotRunningException(this.parts.name(), "stopped before it started"));
            this.stopped.countDown();
            return true;
        }
        this.state.compareAndSet(EngineState.RUNNING, EngineState.STOPPING);
        this.loop.thenAccept(RunLoop::requestStop);
        return this.stopped.await(this.parts.config().shutdownTimeout().plus(grace).toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Hands {@code request} to the poll loop once it is built. Fails at once with an
     * {@link EngineNotRunningException} when the engine is not running. While it stops, the
     * request is still handed over: the stop runs what is queued until the consumer closes.
     */
    <T> CompletableFuture<T> request(Function<RunLoop, CompletableFuture<T>> request) {
        EngineState now = this.state.get();
        if (now != EngineState.RUNNING && now != EngineState.STOPPING) {
            return CompletableFuture.failedFuture(new EngineNotRunningException(this.parts.name(), now.name()));
        }
        return this.loop.thenCompose(request);
    }

    private void runPollThread() {
        EngineThreads threads = null;
        try {
            threads = new EngineThreads(this.parts.name(), this.parts.config(), this.parts.subscriptions(),
                    this.parts.handlerExecutor(), this.parts.retryScheduler());
            RunLoop pollLoop;
            if (this.parts.share() != null) {
                pollLoop = RunLoop.of(this.parts.newShareLoop(threads::executor, threads.retries(), this.stats,
                        this.shareStats), this.parts.name());
            }
            else {
                Consumer<byte[], byte[]> consumer = Objects.requireNonNull(this.parts.consumerFactory().get(),
                        "consumerFactory returned null");
                pollLoop = RunLoop.of(this.parts.newLoop(consumer, threads::executor, threads.retries(), this.stats));
            }
            this.loop.complete(pollLoop);
            if (this.state.get() == EngineState.STOPPING) {
                pollLoop.requestStop();
            }
            pollLoop.run();
            this.failure = pollLoop.failure();
        }
        catch (Throwable ex) {
            this.failure = ex;
            EngineNotRunningException failed = new EngineNotRunningException(this.parts.name(), "FAILED to start: " + ex);
            failed.initCause(ex);
            this.loop.completeExceptionally(failed);
        }
        finally {
            if (threads != null) {
                threads.close();
            }
            this.state.set((this.failure != null) ? EngineState.FAILED : EngineState.STOPPED);
            this.stopped.countDown();
        }
    }

}
