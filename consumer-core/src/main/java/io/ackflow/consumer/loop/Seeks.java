package io.ackflow.consumer.loop;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.Seek;
import io.ackflow.consumer.SeekResult;
import io.ackflow.consumer.commit.CommitStrategy;

/**
 * The seeks the application asks for, carried out on the poll thread. First every partition's
 * offset is found ({@link SeekOffsets}); a seek that cannot be carried out fails before anything
 * moved. Then each partition assigned to this member is sought: at once, as a revoke hands it
 * over ({@link Partitions#seekNow}), or, under exactly-once, by an abort of the open transaction
 * ({@link CommitStrategy#deferSeek}). A partition not assigned keeps its offset for the next
 * rebalance (a seek waits for one rebalance only).
 * <p>
 * Threads: the poll thread alone.
 */
final class Seeks {

    private static final Logger logger = LoggerFactory.getLogger(Seeks.class);

    private final Consumer<byte[], byte[]> consumer;

    private final CommitStrategy commits;

    private final Partitions partitions;

    private final SeekOffsets offsets;

    Seeks(Consumer<byte[], byte[]> consumer, CommitStrategy commits, Partitions partitions, SeekOffsets offsets) {
        this.consumer = consumer;
        this.commits = commits;
        this.partitions = partitions;
        this.offsets = offsets;
    }

    /**
     * Seeks {@code chosen} to {@code to}.
     * @return the offset each partition is read from next
     * @throws IllegalArgumentException or {@link IllegalStateException} when an offset cannot be
     *         found (see {@link SeekOffsets#resolve}); nothing was sought then
     */
    SeekResult seek(Set<TopicPartition> chosen, Seek to) {
        Map<TopicPartition, OffsetAndMetadata> targets = this.offsets.resolve(chosen, to);
        Set<TopicPartition> assigned = this.consumer.assignment();
        Map<TopicPartition, Long> sought = new HashMap<>();
        Map<TopicPartition, Long> awaiting = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> now = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> target : targets.entrySet()) {
            TopicPartition partition = target.getKey();
            long offset = target.getValue().offset();
            if (!assigned.contains(partition)) {
                awaiting.put(partition, offset);
                if (to.kind() == Seek.Kind.COMMITTED) {
                    // An assignment starts at the committed offset, with its offset map: that is the seek.
                    this.partitions.takeSeek(partition);
                }
                else {
                    this.partitions.seekLater(partition, offset);
                }
                continue;
            }
            sought.put(partition, offset);
            if (!this.commits.deferSeek(partition, offset)) {
                now.put(partition, target.getValue());
            }
        }
        this.partitions.seekNow(now);
        if (!awaiting.isEmpty()) {
            logger.info("Partitions {} are not assigned to this member: sought to {} if the next rebalance assigns them",
                    SeekOffsets.sorted(awaiting.keySet()), to);
        }
        return new SeekResult(sought, awaiting);
    }

    /** The assigned partitions of {@code topic}, or all of them when it is null. */
    Set<TopicPartition> assigned(String topic) {
        Set<TopicPartition> chosen = new HashSet<>();
        for (TopicPartition partition : this.consumer.assignment()) {
            if (topic == null || topic.equals(partition.topic())) {
                chosen.add(partition);
            }
        }
        return chosen;
    }

}
