package io.ackflow.consumer.dispatch;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the hand-off asks for a worker at once, and when it leaves the question to the watch.
 */
class HandoffTest {

    private final Handoff handoff = new Handoff();

    @Test
    void asksAtOnceOnlyWhileFewerThanTheEagerWorkersServeAndAllAreInsideTurns() {
        this.handoff.add(delivery());
        assertThat(this.handoff.needsWorker(2)).as("none serving, one waits").isTrue();
        assertThat(this.handoff.needsWorker(2)).as("one is on its way").isFalse();
        this.handoff.arrived();
        this.handoff.turnStarted();
        assertThat(this.handoff.needsWorker(2)).as("one serving, inside a turn").isTrue();
        this.handoff.arrived();
        this.handoff.turnStarted();
        assertThat(this.handoff.needsWorker(2)).as("two serving: as many as the eager workers").isFalse();
        assertThat(this.handoff.allBusyWhileWaiting()).as("the watch's question instead").isTrue();
        assertThat(this.handoff.needsWorker(Integer.MAX_VALUE)).as("no cap: asks at once").isTrue();
    }

    @Test
    void aWorkerBetweenTurnsTakesWhatWaitsItself() {
        this.handoff.add(delivery());
        this.handoff.joined();
        this.handoff.joined();
        this.handoff.turnStarted();
        assertThat(this.handoff.needsWorker(Integer.MAX_VALUE)).isFalse();
        assertThat(this.handoff.allBusyWhileWaiting()).isFalse();
        this.handoff.turnStarted();
        assertThat(this.handoff.allBusyWhileWaiting()).isTrue();
        this.handoff.turnEnded();
        assertThat(this.handoff.allBusyWhileWaiting()).isFalse();
    }

    @Test
    void countsTurnsStartedApartFromTurnsRunning() {
        long before = this.handoff.turnsStarted();
        for (int i = 0; i < 5; i++) {
            this.handoff.turnStarted();
            this.handoff.turnEnded();
        }
        this.handoff.turnStarted();
        assertThat((this.handoff.turnsStarted() - before) & 0xFFFFFFFFL).isEqualTo(6);
        this.handoff.joined();
        this.handoff.add(delivery());
        assertThat(this.handoff.allBusyWhileWaiting()).as("one serving, one inside a turn").isTrue();
    }

    @Test
    void reservesSeveralWorkersOnlyWhenNoneIsOnItsWay() {
        assertThat(this.handoff.reserve(4)).isTrue();
        assertThat(this.handoff.reserve(2)).isFalse();
        for (int i = 0; i < 3; i++) {
            this.handoff.arrived();
        }
        this.handoff.refused();
        assertThat(this.handoff.serving()).isEqualTo(3);
        assertThat(this.handoff.reserve(2)).isTrue();
    }

    private static Delivery delivery() {
        return new Delivery(null, 0, new ConsumerRecord<Object, Object>("t", 0, 0L, null, null));
    }

}
