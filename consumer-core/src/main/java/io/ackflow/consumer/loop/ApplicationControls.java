package io.ackflow.consumer.loop;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.CommitStrategy;
import io.ackflow.consumer.flow.PauseController;

/**
 * What the application may ask of a running consumer: pause and resume partitions or whole topics
 * (kept across rebalances, apart from the engine's own pauses), seek, and commit now. Each request
 * runs on the poll thread at its next turn; its future completes there, and fails at once when
 * the engine is not running.
 * <p>
 * Threads: any thread asks; the poll thread acts.
 */
public final class ApplicationControls {

    private final CommandQueue commands;

    private final PauseController pauses;

    private final CommitPlanner planner;

    private final CommitStrategy commits;

    private final Partitions partitions;

    ApplicationControls(CommandQueue commands, PauseController pauses, CommitPlanner planner, CommitStrategy commits,
            Partitions partitions) {
        this.commands = commands;
        this.pauses = pauses;
        this.planner = planner;
        this.commits = commits;
        this.partitions = partitions;
    }

    /** Pauses fetching from {@code partitions} until {@link #resumePartitions}; kept across rebalances. */
    public CompletableFuture<Void> pausePartitions(Collection<TopicPartition> partitions) {
        Set<TopicPartition> copy = Set.copyOf(partitions);
        return run(() -> this.pauses.userPause(copy));
    }

    /** Resumes partitions paused by {@link #pausePartitions}. */
    public CompletableFuture<Void> resumePartitions(Collection<TopicPartition> partitions) {
        Set<TopicPartition> copy = Set.copyOf(partitions);
        return run(() -> this.pauses.userResume(copy));
    }

    /** Pauses every partition of {@code topic}, those assigned later included. */
    public CompletableFuture<Void> pauseTopic(String topic) {
        return run(() -> this.pauses.userPauseTopic(topic));
    }

    /** Resumes a topic paused by {@link #pauseTopic} (partitions paused one by one stay paused). */
    public CompletableFuture<Void> resumeTopic(String topic) {
        return run(() -> this.pauses.userResumeTopic(topic));
    }

    /**
     * Reads {@code partition} from {@code offset} next. Records of the partition queued or in flight
     * are dropped (their late completions are ignored), its tracker starts afresh. A partition not
     * assigned yet is sought when it is; under exactly-once the seek is applied by an abort of the
     * open transaction.
     * @throws IllegalArgumentException when {@code offset} is negative
     */
    public CompletableFuture<Void> seek(TopicPartition partition, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("Offset to seek " + partition + " to must not be negative, was " + offset);
        }
        return run(() -> {
            if (this.planner.tracker(partition) == null) {
                this.partitions.seekLater(partition, offset);
            }
            else if (!this.commits.deferSeek(partition, offset)) {
                this.partitions.seekNow(partition, offset);
            }
        });
    }

    /**
     * Commits what is committable now in {@code partitions} (every assigned partition when null),
     * synchronously on the poll thread; see {@link CommitStrategy#commitNow}.
     * @return the offsets committed (empty when nothing moved), or the commit's failure
     */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitPartitions(
            Collection<TopicPartition> partitions) {
        Set<TopicPartition> scope = (partitions != null) ? Set.copyOf(partitions) : null;
        return this.commands.submit(() -> this.commits.commitNow(scope)).thenCompose((done) -> done);
    }

    /** Commits what is committable now in the assigned partitions of {@code topic}; see {@link #commitPartitions}. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitTopic(String topic) {
        return this.commands.submit(() -> this.commits.commitNow(this.planner.partitions().stream()
            .filter((partition) -> partition.topic().equals(topic)).toList())).thenCompose((done) -> done);
    }

    private CompletableFuture<Void> run(Runnable action) {
        return this.commands.submit(() -> {
            action.run();
            return null;
        });
    }

}
