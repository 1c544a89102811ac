package io.ackflow.consumer.dispatch;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the watch asks for more workers: only when the workers, all inside turns while deliveries
 * wait, started fewer turns in the time looked at than turns of {@link TurnWatch#LONG_TURN_NANOS}
 * would have.
 */
class TurnWatchTest {

    private static final long MILLISECOND = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void quickTurnsGetNoMoreWorkers() {
        // 2 workers of 1 µs turns start about 2,000 turns in a millisecond, even when one of them
        // was preempted for most of it.
        assertThat(TurnWatch.moreWorkers(2_000, 2, 98, MILLISECOND)).isZero();
        assertThat(TurnWatch.moreWorkers(500, 2, 98, MILLISECOND)).isZero();
    }

    @Test
    void turnsThatLastAsLongAsALongTurnOrLongerDoubleTheWorkers() {
        long quickTurnsOfTwo = 2 * MILLISECOND / TurnWatch.LONG_TURN_NANOS;
        assertThat(TurnWatch.moreWorkers(quickTurnsOfTwo, 2, 98, MILLISECOND)).as("as many turns as long turns give").isZero();
        assertThat(TurnWatch.moreWorkers(quickTurnsOfTwo - 1, 2, 98, MILLISECOND)).isEqualTo(2);
        assertThat(TurnWatch.moreWorkers(0, 2, 98, MILLISECOND)).as("every call blocked throughout").isEqualTo(2);
        assertThat(TurnWatch.moreWorkers(0, 16, 84, MILLISECOND)).isEqualTo(16);
    }

    @Test
    void neverMoreWorkersThanDeliveriesWait() {
        assertThat(TurnWatch.moreWorkers(0, 16, 3, MILLISECOND)).isEqualTo(3);
        assertThat(TurnWatch.moreWorkers(0, 16, 0, MILLISECOND)).isZero();
    }

    @Test
    void oneWorkerWhenNoneServes() {
        assertThat(TurnWatch.moreWorkers(0, 0, 5, MILLISECOND)).isEqualTo(1);
    }

    @Test
    void aLongerLookThanThePeriodCountsItsWholeTime() {
        // A look that came 10 ms late: 400 turns of 2 workers in 10 ms are 50 µs each.
        assertThat(TurnWatch.moreWorkers(400, 2, 10, 10 * MILLISECOND)).isEqualTo(2);
        assertThat(TurnWatch.moreWorkers(400, 2, 10, MILLISECOND)).isZero();
    }

    @Test
    void eagerWorkersAreAtLeastTwo() {
        assertThat(TurnWatch.EAGER_WORKERS).isGreaterThanOrEqualTo(2)
            .isGreaterThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    }

}
