package io.ackflow.consumer.state;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.common.TopicPartition;

/**
 * What tells a poll loop that moves on from one that does not, as the poll thread published it:
 * when it began to poll and when poll last returned, whether its commits keep failing, and when
 * its consumer last sent a heartbeat to the group coordinator. Immutable.
 * <p>
 * A poll thread held somewhere (in a rebalance callback, a commit, a stop) publishes nothing
 * more, so a reader compares {@link #lastPollAt} with the engine's clock to see it; the other
 * facts are as of the snapshot's {@code takenAt}.
 *
 * @param startedAt when the loop subscribed and began to poll; null before
 * @param lastPollAt when poll last returned; null before its first return
 * @param commitFailures commits that failed since commits last succeeded for every partition
 *        they failed for (partitions revoked, lost or sought since no longer count); 0 when
 *        none is failing
 * @param commitsFailingSince when the first of those failed; null when none is failing
 * @param failingPartitions the partitions whose last commit failed, by topic and partition
 * @param lastCommitFailure the last of those failures as its exception's {@code toString()};
 *        null when none is failing
 * @param heartbeatsReported whether the consumer reports its heartbeats in its client metrics
 *        (a {@code KafkaConsumer} does, with either group protocol; kafka-clients'
 *        {@code MockConsumer} does not)
 * @param lastHeartbeatAt when the consumer last sent a heartbeat to its group coordinator, to
 *        within the half second between two snapshots and never later than it was; null before
 *        the first or when heartbeats are not reported
 * @param brokerConnections the connections to brokers the consumer held, open or being opened
 *        (kafka-clients' {@code consumer-metrics connection-count}); -1 when not reported
 */
public record ProgressSnapshot(Instant startedAt, Instant lastPollAt, int commitFailures, Instant commitsFailingSince,
        List<TopicPartition> failingPartitions, String lastCommitFailure, boolean heartbeatsReported,
        Instant lastHeartbeatAt, int brokerConnections) {

    /** Before the loop began to poll. */
    public static final ProgressSnapshot NONE = new ProgressSnapshot(null, null, 0, null, List.of(), null, false, null,
            -1);

    public ProgressSnapshot {
        failingPartitions = List.copyOf(failingPartitions);
    }

    /**
     * How long the poll thread has been away from poll at {@code now}: since poll last returned,
     * or since the loop began before the first return; zero before the loop began.
     */
    public Duration awayFromPoll(Instant now) {
        return since((this.lastPollAt != null) ? this.lastPollAt : this.startedAt, now);
    }

    /** How long commits had been failing at {@code at}; zero when none is failing. */
    public Duration commitsFailingFor(Instant at) {
        return since(this.commitsFailingSince, at);
    }

    /**
     * How long the group coordinator had been without a heartbeat from the consumer at
     * {@code at}: since the last one, or since the loop began before the first; zero when the
     * consumer does not report its heartbeats.
     */
    public Duration withoutHeartbeatFor(Instant at) {
        if (!this.heartbeatsReported) {
            return Duration.ZERO;
        }
        return since((this.lastHeartbeatAt != null) ? this.lastHeartbeatAt : this.startedAt, at);
    }

    private static Duration since(Instant start, Instant end) {
        return (start != null && end.isAfter(start)) ? Duration.between(start, end) : Duration.ZERO;
    }

}
