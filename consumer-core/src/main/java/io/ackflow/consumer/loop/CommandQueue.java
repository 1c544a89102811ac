package io.ackflow.consumer.loop;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

import io.ackflow.consumer.EngineNotRunningException;

/**
 * Actions other threads ask the poll thread to run, since it alone may call the consumer: a
 * commit now, a seek, a pause. {@link #submit} queues the action and wakes the poll; the poll
 * thread runs what is queued at the start of each turn. Once the consumer is closed, what is
 * queued, and what comes later, fails at once with an {@link EngineNotRunningException}.
 * <p>
 * Threads: {@link #submit} from any thread; {@link #runAll} and {@link #close} on the poll thread.
 */
final class CommandQueue {

    private final Queue<Command<?>> commands = new ConcurrentLinkedQueue<>();

    /** The engine's name, for the failure of what comes too late. */
    private final String engine;

    /** Wakes the poll thread if it is inside {@code poll}. */
    private final Runnable wakeup;

    /** Set once the consumer is closed: commands are failed from then on. */
    private volatile boolean closed;

    CommandQueue(String engine, Runnable wakeup) {
        this.engine = engine;
        this.wakeup = wakeup;
    }

    /**
     * Runs {@code action} on the poll thread at its next turn. Any thread.
     * @return its result, or its failure; fails when the engine has stopped
     */
    <T> CompletableFuture<T> submit(Supplier<T> action) {
        Command<T> command = new Command<>(action, new CompletableFuture<>());
        this.commands.add(command);
        if (this.closed) {
            failAll();
        }
        else {
            this.wakeup.run();
        }
        return command.result;
    }

    /** Runs every queued action. Poll thread. */
    void runAll() {
        for (Command<?> command; (command = this.commands.poll()) != null;) {
            command.run();
        }
    }

    /** The consumer is closed: fails what is queued now and all that comes later. Poll thread. */
    void close() {
        this.closed = true;
        failAll();
    }

    private void failAll() {
        for (Command<?> command; (command = this.commands.poll()) != null;) {
            command.result.completeExceptionally(new EngineNotRunningException(this.engine, "STOPPED"));
        }
    }

    /** An action for the poll thread and the future of its result. */
    private record Command<T>(Supplier<T> action, CompletableFuture<T> result) {

        void run() {
            try {
                this.result.complete(this.action.get());
            }
            catch (RuntimeException ex) {
                this.result.completeExceptionally(ex);
            }
        }

    }

}
