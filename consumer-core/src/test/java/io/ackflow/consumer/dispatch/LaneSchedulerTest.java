package io.ackflow.consumer.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.state.HandlerRun;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lane order, round robin and slots, with no executor and no handler: the test takes the part of
 * the runner and says when each delivery finishes or parks.
 */
class LaneSchedulerTest {

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();

    @Test
    void partitionLanesStartOneRecordPerPartitionAndTheNextWhenItFinishes() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 10);
        List<Delivery> starts = lanes.enqueue(List.of(delivery(0, 0, "a"), delivery(0, 1, "b"), delivery(1, 0, "a")));
        assertThat(ids(starts)).containsExactly("0@0", "1@0");
        assertThat(id(lanes.finished(starts.get(0)))).isEqualTo("0@1");
        assertThat(lanes.finished(starts.get(1))).isNull();
        assertThat(lanes.backlog()).isEqualTo(1);
    }

    @Test
    void keyLanesStartEachKeyInOrderAndGroupKeylessRecords() {
        LaneScheduler lanes = new LaneScheduler(Ordering.KEY, 10);
        List<Delivery> starts = lanes.enqueue(List.of(delivery(0, 0, "a"), delivery(0, 1, "b"), delivery(0, 2, "a"),
                delivery(0, 3, "c"), delivery(0, 4, null), delivery(0, 5, null)));
        assertThat(ids(starts)).containsExactly("0@0", "0@1", "0@3", "0@4");
        assertThat(lanes.finished(starts.get(1))).as("key b has nothing more").isNull();
        assertThat(id(lanes.finished(starts.get(0)))).isEqualTo("0@2");
        assertThat(id(lanes.finished(starts.get(3)))).isEqualTo("0@5");
    }

    @Test
    void theSameKeyInAnotherPartitionIsAnotherLane() {
        LaneScheduler lanes = new LaneScheduler(Ordering.KEY, 10);
        assertThat(ids(lanes.enqueue(List.of(delivery(0, 0, "a"), delivery(1, 0, "a"), delivery(0, 1, "a")))))
            .containsExactly("0@0", "1@0");
    }

    @Test
    void aFreedSlotGoesToTheLaneThatWaitedLongest() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 1);
        List<Delivery> order = new ArrayList<>(lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null),
                delivery(0, 2, null), delivery(1, 0, null), delivery(2, 0, null))));
        for (Delivery next; (next = lanes.finished(order.get(order.size() - 1))) != null;) {
            order.add(next);
        }
        assertThat(ids(order)).containsExactly("0@0", "1@0", "2@0", "0@1", "0@2");
        assertThat(lanes.backlog()).isZero();
    }

    @Test
    void theUnorderedLaneRunsUpToTheConcurrencyInArrivalOrder() {
        LaneScheduler lanes = new LaneScheduler(Ordering.UNORDERED, 2);
        List<Delivery> starts = lanes.enqueue(List.of(delivery(0, 0, "k"), delivery(0, 1, "k"), delivery(1, 0, "k"),
                delivery(0, 2, "k")));
        assertThat(ids(starts)).containsExactly("0@0", "0@1");
        assertThat(id(lanes.finished(starts.get(1)))).isEqualTo("1@0");
        assertThat(lanes.backlog()).isEqualTo(3);
    }

    @Test
    void aTakenDeliveryCountsAsRunningInItsPartitionUntilItFinishes() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 10);
        Delivery first = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null))).get(0);
        OffsetTracker tracker = this.trackers.get(new TopicPartition("t", 0));
        assertThat(tracker.handlersRunning()).as("the queued 0@1 is not counted").isEqualTo(1);
        first.tracked.finished();
        Delivery second = lanes.finished(first);
        assertThat(tracker.handlersRunning()).isEqualTo(1);
        second.tracked.finished();
        assertThat(lanes.finished(second)).isNull();
        assertThat(tracker.handlersRunning()).isZero();
    }

    @Test
    void aParkedDeliveryKeepsItsPartitionLaneButGivesBackItsConcurrencySlot() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 1);
        Delivery failed = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null), delivery(1, 0, null)))
            .get(0);
        Delivery other = lanes.parked(failed);
        assertThat(id(other)).isEqualTo("1@0");
        assertThat(lanes.finished(other)).as("0@1 waits behind the parked 0@0").isNull();
        assertThat(lanes.waitOver(failed)).isSameAs(failed);
        assertThat(id(lanes.finished(failed))).isEqualTo("0@1");
    }

    @Test
    void aDueDeliveryRunsBeforeAnyReadyLane() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 1);
        Delivery failed = lanes.enqueue(List.of(delivery(0, 0, null), delivery(1, 0, null), delivery(2, 0, null))).get(0);
        Delivery running = lanes.parked(failed);
        assertThat(id(running)).isEqualTo("1@0");
        assertThat(lanes.waitOver(failed)).as("no slot is free").isNull();
        assertThat(lanes.finished(running)).isSameAs(failed);
        assertThat(id(lanes.finished(failed))).isEqualTo("2@0");
    }

    @Test
    void aParkedUnorderedDeliveryHoldsNothingBack() {
        LaneScheduler lanes = new LaneScheduler(Ordering.UNORDERED, 1);
        Delivery failed = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null))).get(0);
        Delivery next = lanes.parked(failed);
        assertThat(id(next)).isEqualTo("0@1");
        assertThat(lanes.waitOver(failed)).isNull();
        assertThat(lanes.finished(next)).isSameAs(failed);
        assertThat(lanes.finished(failed)).isNull();
        assertThat(lanes.backlog()).isZero();
    }

    @Test
    void unparkTakesBackTheSlotsOfADeliveryWhoseWaitCouldNotBeScheduled() {
        LaneScheduler lanes = new LaneScheduler(Ordering.UNORDERED, 1);
        Delivery failed = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null))).get(0);
        Delivery next = lanes.parked(failed);
        assertThat(lanes.unpark(failed)).isTrue();
        assertThat(lanes.finished(next)).as("the unparked delivery holds the only slot again").isNull();
        assertThat(lanes.finished(failed)).isNull();
        assertThat(lanes.backlog()).isZero();
    }

    @Test
    void dropQueuedRemovesQueuedAndAbandonsParkedDeliveriesOfThePartitionsOnly() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 10);
        List<Delivery> starts = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null), delivery(1, 0, null),
                delivery(1, 1, null)));
        Delivery parked = starts.get(0);
        assertThat(lanes.parked(parked)).isNull();
        assertThat(lanes.dropQueued(Set.of(new TopicPartition("t", 0)))).isEqualTo(2);
        assertThat(this.trackers.get(new TopicPartition("t", 0)).handlersRunning()).isZero();
        assertThat(lanes.waitOver(parked)).as("abandoned: it never runs again").isNull();
        assertThat(lanes.unpark(parked)).isFalse();
        assertThat(lanes.backlog()).as("1@0 running, 1@1 queued").isEqualTo(2);
        assertThat(id(lanes.finished(starts.get(1)))).isEqualTo("1@1");
    }

    @Test
    void aRevokedPartitionsNewAssignmentGetsLanesOfItsOwn() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 10);
        Delivery old = lanes.enqueue(List.of(delivery(0, 0, null))).get(0);
        this.trackers.clear();
        assertThat(ids(lanes.enqueue(List.of(delivery(0, 0, null))))).as("not held up by the old handler")
            .containsExactly("0@0");
        assertThat(lanes.finished(old)).isNull();
    }

    @Test
    void closeStartsNothingMoreAndAbandonsParkedDeliveries() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 10);
        List<Delivery> starts = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null), delivery(1, 0, null)));
        assertThat(lanes.parked(starts.get(1))).isNull();
        lanes.close();
        assertThat(lanes.isClosed()).isTrue();
        assertThat(this.trackers.get(new TopicPartition("t", 1)).handlersRunning()).isZero();
        assertThat(lanes.waitOver(starts.get(1))).isNull();
        assertThat(lanes.finished(starts.get(0))).isNull();
        assertThat(lanes.enqueue(List.of(delivery(2, 0, null)))).isEmpty();
    }

    @Test
    void haltStartsNothingMoreButKeepsWhatIsQueued() {
        LaneScheduler lanes = new LaneScheduler(Ordering.UNORDERED, 1);
        Delivery failed = lanes.enqueue(List.of(delivery(0, 0, null), delivery(0, 1, null))).get(0);
        lanes.halt(failed);
        assertThat(lanes.isClosed()).isTrue();
        assertThat(lanes.backlog()).isEqualTo(1);
        assertThat(lanes.enqueue(List.of(delivery(0, 2, null)))).isEmpty();
    }

    @Test
    void runningOnNamesTheHandlerOnlyOnceItHasBeenCalledAndUntilItIsDone() {
        LaneScheduler lanes = new LaneScheduler(Ordering.PARTITION, 10);
        Delivery delivery = lanes.enqueue(List.of(delivery(0, 0, null))).get(0);
        assertThat(Delivery.runningOn(delivery.tracked, 0, "s")).as("not attached").isNull();
        delivery.tracked.attach(delivery);
        assertThat(Delivery.runningOn(delivery.tracked, 0, "s")).as("taken, not called yet").isNull();
        delivery.startedAt = 42;
        delivery.thread = Thread.currentThread();
        assertThat(Delivery.runningOn(delivery.tracked, 0, "s"))
            .isEqualTo(new HandlerRun("s", 42, Thread.currentThread().getName()));
        assertThat(Delivery.runningOn(delivery.tracked, 1, "other")).as("another holder index").isNull();
        lanes.finished(delivery);
        assertThat(Delivery.runningOn(delivery.tracked, 0, "s")).isNull();
    }

    private Delivery delivery(int partition, long offset, String key) {
        OffsetTracker tracker = this.trackers.computeIfAbsent(new TopicPartition("t", partition), OffsetTracker::new);
        return Deliveries.of(Deliveries.track(tracker, offset, key, (record) -> {
        }));
    }

    private static String id(Delivery delivery) {
        return (delivery != null) ? delivery.tracked.raw().partition() + "@" + delivery.tracked.raw().offset() : null;
    }

    private static List<String> ids(List<Delivery> deliveries) {
        return deliveries.stream().map(LaneSchedulerTest::id).toList();
    }

}
