package io.ackflow.consumer.share;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.TopicIdPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.ShareStats;
import io.ackflow.consumer.tracking.RecordOutcome;

/**
 * The acknowledgements a share consumer gives, counts and sends: a settled record is acknowledged
 * as its outcome and counted; a written-off record (its lock expired) is acknowledged
 * {@code RELEASE} only so that the consumer may poll again, and not counted; {@link #sendIfAny}
 * commits the acknowledgements given since the last poll or commit. The broker's answers come back
 * through the consumer's acknowledgement commit callback: refusals of written-off records are
 * expected (the record is no longer this member's) and logged at DEBUG; any other refusal is
 * counted and logged as a WARN.
 * <p>
 * Threads: the poll thread only, callback included (the consumer calls it inside poll or commit).
 */
final class Acknowledgements {

    private static final Logger logger = LoggerFactory.getLogger(ShareLoop.class);

    private final ShareConsumer<byte[], byte[]> consumer;

    private final EngineStats stats;

    private final ShareStats shareStats;

    private final String engineName;

    private final String group;

    /** Written-off records whose acknowledgement the broker has not answered yet, as {@code topic-partition@offset}. */
    private final Set<String> writtenOff = new HashSet<>();

    /** Acknowledgements given and not yet sent. */
    private int unsent;

    Acknowledgements(ShareConsumer<byte[], byte[]> consumer, EngineStats stats, ShareStats shareStats,
            String engineName, String group) {
        this.consumer = consumer;
        this.stats = stats;
        this.shareStats = shareStats;
        this.engineName = engineName;
        this.group = group;
    }

    /** Listens to the broker's answers. */
    void install() {
        this.consumer.setAcknowledgementCommitCallback(this::answered);
    }

    /** Acknowledges a record every subscription released, as {@code outcome}, and counts it. */
    void settle(ConsumerRecord<byte[], byte[]> record, RecordOutcome outcome) {
        this.consumer.acknowledge(record, AcknowledgeType.valueOf(outcome.name()));
        this.unsent++;
        switch (outcome) {
            case ACCEPT -> {
                this.shareStats.recordAccepted();
                this.stats.recordAcked();
            }
            case RELEASE -> this.shareStats.recordReleased(1);
            default -> this.shareStats.recordRejected();
        }
    }

    /** Acknowledges a record whose lock expired {@code RELEASE}, so that the consumer may poll again. */
    void writeOff(ConsumerRecord<byte[], byte[]> record) {
        this.consumer.acknowledge(record, AcknowledgeType.RELEASE);
        this.writtenOff.add(record.topic() + "-" + record.partition() + "@" + record.offset());
        this.unsent++;
    }

    /** A poll sent what was given. */
    void polled() {
        this.unsent = 0;
    }

    /** Commits the acknowledgements given since the last poll or commit, if any. */
    void sendIfAny() {
        if (this.unsent > 0) {
            this.consumer.commitAsync();
            this.unsent = 0;
        }
    }

    private void answered(Map<TopicIdPartition, Set<Long>> offsets, Exception exception) {
        int refused = 0;
        for (Map.Entry<TopicIdPartition, Set<Long>> entry : offsets.entrySet()) {
            TopicIdPartition partition = entry.getKey();
            for (Long offset : entry.getValue()) {
                boolean expected = this.writtenOff.remove(partition.topic() + "-" + partition.partition() + "@" + offset);
                if (exception != null && !expected) {
                    refused++;
                }
            }
        }
        if (refused > 0) {
            this.shareStats.recordAcknowledgementFailures(refused);
            logger.warn("Share consumer '{}' (group '{}'): the broker did not apply {} acknowledgement(s) for {}: {}",
                    this.engineName, this.group, refused, offsets.keySet(), exception.toString());
        }
        else if (exception != null) {
            logger.debug("Share consumer '{}': the broker refused the release of records whose lock expired, as"
                    + " expected: {}", this.engineName, exception.toString());
        }
    }

}
