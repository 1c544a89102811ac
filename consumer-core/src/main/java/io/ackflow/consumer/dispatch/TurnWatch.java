package io.ackflow.consumer.dispatch;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Tells handler calls that block from quick ones, so that a subscription gets a worker thread per
 * blocking call but keeps quick calls on about as many workers as there are cores.
 * <p>
 * While deliveries wait in the {@link Handoff} and every worker serving is inside a turn, the
 * hand-off asks the executor for workers at once only while fewer than {@link #EAGER_WORKERS}
 * serve; beyond that it arms this watch. The watch looks again one {@link #PERIOD_NANOS period}
 * later: if the workers started fewer turns than they would have had each turn lasted
 * {@link #LONG_TURN_NANOS}, the calls block (or run long), and it asks for as many more workers
 * as serve now, up to the deliveries waiting, so that blocking handlers reach the concurrency in a
 * few periods. Otherwise the calls are quick and the workers there keep up: a quick call's worker
 * that the operating system preempted is inside a call too, and a worker more for it would only
 * contend for the lane scheduler. The watch looks every period for as long as deliveries wait
 * behind workers that are all inside turns.
 * <p>
 * Threads: {@link #arm} from any thread; the looks run on one daemon thread shared by every engine
 * of the JVM, {@code ackflow-turn-watch}, and only read the hand-off's counters and have workers
 * asked of the executor. The elapsed time of a look is read from {@link System#nanoTime}: it
 * measures how long the calls take, which no test needs to move.
 */
final class TurnWatch {

    /** Workers asked for at once, before the watch decides: the cores, and at least 2. */
    static final int EAGER_WORKERS = Math.max(2, Runtime.getRuntime().availableProcessors());

    /** How long the watch waits before each look. */
    static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Turns that last this long on average, or longer, count as blocking. */
    static final long LONG_TURN_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    private static final ScheduledExecutorService looks = Executors.newSingleThreadScheduledExecutor((task) -> {
        Thread thread = new Thread(task, "ackflow-turn-watch");
        thread.setDaemon(true);
        return thread;
    });

    private final Handoff handoff;

    /** Asks the executor for that many workers, already counted as on their way. */
    private final IntConsumer askWorkers;

    private final BooleanSupplier closed;

    /** Set while a look is scheduled. */
    private final AtomicBoolean armed = new AtomicBoolean();

    TurnWatch(Handoff handoff, IntConsumer askWorkers, BooleanSupplier closed) {
        this.handoff = handoff;
        this.askWorkers = askWorkers;
        this.closed = closed;
    }

    /** Schedules a look one period from now, unless one is scheduled. Any thread. */
    void arm() {
        if (!this.armed.get() && this.armed.compareAndSet(false, true)) {
            schedule();
        }
    }

    /**
     * How many more workers to ask for, after {@code elapsedNanos} in which {@code turnsStarted}
     * turns started while {@code serving} workers were all inside turns and {@code waiting}
     * deliveries waited: none when the turns were quick, else as many as serve (at least one), at
     * most as many as wait.
     */
    static int moreWorkers(long turnsStarted, int serving, int waiting, long elapsedNanos) {
        if (waiting <= 0) {
            return 0;
        }
        int workers = Math.max(1, serving);
        long quickTurns = workers * elapsedNanos / LONG_TURN_NANOS;
        if (turnsStarted >= quickTurns) {
            return 0;
        }
        return Math.min(waiting, workers);
    }

    private void schedule() {
        long turns = this.handoff.turnsStarted();
        long armedAt = System.nanoTime();
        try {
            looks.schedule(() -> look(turns, armedAt), PERIOD_NANOS, TimeUnit.NANOSECONDS);
        }
        catch (RejectedExecutionException ex) {
            this.armed.set(false);
        }
    }

    /** The watch thread. */
    private void look(long turnsBefore, long armedAt) {
        if (this.closed.getAsBoolean() || !this.handoff.allBusyWhileWaiting()) {
            this.armed.set(false);
            // An arm() that came while this look was still scheduled did nothing: look again if
            // what it saw still holds.
            if (!this.closed.getAsBoolean() && this.handoff.allBusyWhileWaiting()) {
                arm();
            }
            return;
        }
        long started = (this.handoff.turnsStarted() - turnsBefore) & 0xFFFFFFFFL;
        int more = moreWorkers(started, this.handoff.serving(), this.handoff.waiting(), System.nanoTime() - armedAt);
        if (more > 0 && this.handoff.reserve(more)) {
            this.askWorkers.accept(more);
        }
        schedule();
    }

}
