package io.ackflow.consumer;

import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * Where a seek left the partitions it was asked about, each with the offset it is read from next.
 *
 * @param sought the partitions assigned to this consumer, sought now (under exactly-once, by the
 *        abort of the open transaction, before anything more is dispatched)
 * @param awaitingAssignment the partitions named that are not assigned to this consumer: the seek
 *        is kept and applied if the next rebalance assigns them to it, and dropped otherwise. For
 *        a seek to the committed offset nothing is kept, since an assignment starts there anyway;
 *        the offset is the one committed when the seek was asked.
 */
public record SeekResult(Map<TopicPartition, Long> sought, Map<TopicPartition, Long> awaitingAssignment) {

    /** Nothing was asked about. */
    public static final SeekResult NONE = new SeekResult(Map.of(), Map.of());

    public SeekResult {
        sought = Map.copyOf(sought);
        awaitingAssignment = Map.copyOf(awaitingAssignment);
    }

}
