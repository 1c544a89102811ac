package io.ackflow.consumer.tracking;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.ackflow.consumer.testing.MutableTicker;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

class DrainLatchTest {

    private final DrainLatch latch = new DrainLatch();

    @Test
    void countsStartedHandlersUntilTheyFinish() {
        this.latch.started();
        this.latch.started();
        this.latch.finished();
        assertThat(this.latch.running()).isEqualTo(1);
        this.latch.finished();
        assertThat(this.latch.running()).isZero();
    }

    @Test
    void anIdlePartitionNeedsNoWait() {
        assertThat(this.latch.awaitIdle(System.nanoTime(), System::nanoTime)).isTrue();
    }

    @Test
    void aPassedDeadlineEndsTheWaitWhileAHandlerRuns() {
        this.latch.started();
        this.latch.started();
        this.latch.finished();
        assertThat(this.latch.awaitIdle(System.nanoTime(), System::nanoTime)).isFalse();
        assertThat(this.latch.running()).isEqualTo(1);
    }

    @Test
    void aWaitEndsWhenItsTickerPassesTheDeadlineWhileAHandlerStillRuns() {
        this.latch.started();
        MutableTicker ticker = MutableTicker.steppingBy(Duration.ofMinutes(10));
        assertThat(this.latch.awaitIdle(Duration.ofMinutes(30).toNanos(), ticker)).isFalse();
        assertThat(ticker.getAsLong()).as("read at 0, 10, 20 and 30 minutes").isEqualTo(Duration.ofMinutes(40).toNanos());
        assertThat(this.latch.running()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void theLastFinishWakesTheWaiter() throws Exception {
        this.latch.started();
        AtomicReference<Thread> waiter = new AtomicReference<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Boolean> idle = pool.submit(() -> {
                waiter.set(Thread.currentThread());
                return this.latch.awaitIdle(System.nanoTime() + TimeUnit.MINUTES.toNanos(10), System::nanoTime);
            });
            while (waiter.get() == null || waiter.get().getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            this.latch.finished();
            assertThat(idle.get(20, TimeUnit.SECONDS)).isTrue();
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDrainIsRememberedOnceBegun() {
        assertThat(this.latch.isDraining()).isFalse();
        this.latch.begin();
        assertThat(this.latch.isDraining()).isTrue();
    }

}
