package io.ackflow.consumer.loop;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.Seek;
import io.ackflow.consumer.SeekResult;
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

    private final Seeks seeks;

    ApplicationControls(CommandQueue commands, PauseController pauses, CommitPlanner planner, CommitStrategy commits,
            Seeks seeks) {
        this.commands = commands;
        this.pauses = pauses;
        this.planner = planner;
        this.commits = commits;
        this.seeks = seeks;
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
     * Reads {@code partition} from {@code offset} next; see {@link #seekPartitions}.
     * @throws IllegalArgumentException when {@code offset} is negative
     */
    public CompletableFuture<Void> seek(TopicPartition partition, long offset) {
        return seekPartitions(Set.of(partition), Seek.toOffset(offset)).thenApply((result) -> null);
    }

    /**
     * Seeks {@code partitions} to {@code to}. Those assigned to this member are handed over as in
     * a revoke: their queued records are dropped, their running handlers waited for up to the
     * drain timeout, what finishes later is ignored, and their trackers start afresh at the new
     * offset; under exactly-once the open transaction is aborted and they are read again from it.
     * Those not assigned are sought if the next rebalance assigns them.
     * @return where each partition is read from next; fails, with nothing sought, when an offset
     *         cannot be found (a partition without a committed offset, a broker that does not answer)
     */
    public CompletableFuture<SeekResult> seekPartitions(Collection<TopicPartition> partitions, Seek to) {
        Set<TopicPartition> copy = Set.copyOf(partitions);
        return this.commands.submit(() -> this.seeks.seek(copy, to));
    }

    /** Seeks every partition of {@code topic} assigned to this member to {@code to}; see {@link #seekPartitions}. */
    public CompletableFuture<SeekResult> seekTopic(String topic, Seek to) {
        return this.commands.submit(() -> this.seeks.seek(this.seeks.assigned(topic), to));
    }

    /** Seeks every partition assigned to this member to {@code to}; see {@link #seekPartitions}. */
    public CompletableFuture<SeekResult> seekAll(Seek to) {
        return this.commands.submit(() -> this.seeks.seek(this.seeks.assigned(null), to));
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
