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

import static org.assertj.core.api.Assertions.assertThat;

/** Which lane a delivery queues in, how long lanes live, and what a lane's queue keeps. */
class LaneTableTest {

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();

    @Test
    void aPartitionLaneStaysWhileIdleUntilItsAssignmentEnds() {
        LaneTable table = new LaneTable(Ordering.PARTITION, 10);
        Lane lane = table.laneFor(delivery(0, 0, null));
        table.dropIfIdle(lane);
        assertThat(table.laneFor(delivery(0, 1, null))).as("idle, assignment on").isSameAs(lane);
        this.trackers.get(new TopicPartition("t", 0)).retire();
        table.dropIfIdle(lane);
        assertThat(table.laneFor(delivery(0, 2, null))).as("a new assignment gets a new lane").isNotSameAs(lane);
    }

    @Test
    void aKeyLaneIsDroppedAsSoonAsItIsIdle() {
        LaneTable table = new LaneTable(Ordering.KEY, 10);
        Delivery first = delivery(0, 0, "a");
        Lane lane = table.laneFor(first);
        assertThat(table.laneFor(delivery(0, 1, "a"))).as("same key, same partition").isSameAs(lane);
        assertThat(table.laneFor(delivery(0, 2, "b"))).isNotSameAs(lane);
        table.dropIfIdle(lane);
        assertThat(table.laneFor(delivery(0, 3, "a"))).isNotSameAs(lane);
    }

    @Test
    void aLaneThatIsNotIdleIsNotDropped() {
        LaneTable table = new LaneTable(Ordering.KEY, 10);
        Delivery queued = delivery(0, 0, "a");
        Lane lane = table.laneFor(queued);
        lane.add(queued);
        table.dropIfIdle(lane);
        assertThat(table.laneFor(delivery(0, 1, "a"))).isSameAs(lane);
        assertThat(table.queued()).isEqualTo(1);
    }

    @Test
    void aLaneQueuesInOrderAndDroppingAPartitionKeepsTheOrderOfTheRest() {
        LaneTable table = new LaneTable(Ordering.UNORDERED, 10);
        List<Delivery> added = List.of(delivery(0, 0, null), delivery(1, 0, null), delivery(0, 1, null),
                delivery(1, 1, null), delivery(2, 0, null));
        Lane lane = table.laneFor(added.get(0));
        added.forEach(lane::add);
        assertThat(table.queued()).isEqualTo(5);
        assertThat(table.dropQueued(Set.of(new TopicPartition("t", 0)))).isEqualTo(2);
        List<String> left = new ArrayList<>();
        for (Delivery next; (next = lane.poll()) != null;) {
            left.add(next.tracked.toString());
        }
        assertThat(left).containsExactly("t-1@0", "t-1@1", "t-2@0");
        assertThat(lane.isIdle()).isTrue();
    }

    @Test
    void dropQueuedForgetsTheIdleLanesItEmptied() {
        LaneTable table = new LaneTable(Ordering.PARTITION, 10);
        Delivery queued = delivery(0, 0, null);
        Lane lane = table.laneFor(queued);
        lane.add(queued);
        assertThat(table.dropQueued(Set.of(new TopicPartition("t", 0)))).isEqualTo(1);
        assertThat(table.queued()).isZero();
        assertThat(table.laneFor(delivery(0, 1, null))).isNotSameAs(lane);
    }

    private Delivery delivery(int partition, long offset, String key) {
        OffsetTracker tracker = this.trackers.computeIfAbsent(new TopicPartition("t", partition), OffsetTracker::new);
        return Deliveries.of(Deliveries.track(tracker, offset, key, (record) -> {
        }));
    }

}
