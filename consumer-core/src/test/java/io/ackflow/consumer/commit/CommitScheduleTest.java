package io.ackflow.consumer.commit;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/** The commit deadline, on a clock the test moves. */
class CommitScheduleTest {

    private final MutableClock clock = new MutableClock();

    private final CommitSchedule schedule = new CommitSchedule(this.clock, Duration.ofMillis(2800), 3);

    @Test
    void aCommitIsDueOnceTheIntervalHasPassedAndTheIntervalStartsAgain() {
        this.schedule.restart();
        this.clock.advance(Duration.ofMillis(2799));
        assertThat(this.schedule.untilDue(this.clock.millis())).isEqualTo(1);
        assertThat(this.schedule.takeIfDue()).isFalse();
        this.clock.advance(Duration.ofMillis(1));
        assertThat(this.schedule.takeIfDue()).isTrue();
        assertThat(this.schedule.takeIfDue()).as("taken").isFalse();
        assertThat(this.schedule.untilDue(this.clock.millis())).isEqualTo(2800);
    }

    @Test
    void commitEveryAcksMakeACommitDueBeforeTheIntervalAndWakeThePollOnce() {
        this.schedule.restart();
        assertThat(this.schedule.countAck()).isFalse();
        assertThat(this.schedule.countAck()).isFalse();
        assertThat(this.schedule.countAck()).as("the third ack wakes the poll").isTrue();
        assertThat(this.schedule.countAck()).isFalse();
        assertThat(this.schedule.takeIfDue()).isTrue();
        assertThat(this.schedule.countAck()).isFalse();
        assertThat(this.schedule.takeIfDue()).as("one ack since the commit").isFalse();
    }

    @Test
    void aCommitRefusedByARebalanceIsDueAtTheNextTurn() {
        this.schedule.restart();
        this.schedule.dueNow();
        assertThat(this.schedule.untilDue(this.clock.millis())).isZero();
        assertThat(this.schedule.takeIfDue()).isTrue();
    }

}
