package io.ackflow.consumer.commit;

import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Told of every offset commit the engine makes, on the poll thread. Implementations must be
 * quick and must not call the consumer.
 */
public interface CommitObserver {

    /** Does nothing. */
    CommitObserver NONE = new CommitObserver() {
    };

    /**
     * Called just before {@code offsets} are sent to the broker.
     */
    default void beforeCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    /**
     * Called when the broker answered: {@code failure} is null when the commit succeeded.
     */
    default void afterCommit(Map<TopicPartition, OffsetAndMetadata> offsets, Exception failure) {
    }

    /** Tells this observer, then {@code next}, of each commit. */
    default CommitObserver andThen(CommitObserver next) {
        CommitObserver first = this;
        return new CommitObserver() {

            @Override
            public void beforeCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
                first.beforeCommit(offsets);
                next.beforeCommit(offsets);
            }

            @Override
            public void afterCommit(Map<TopicPartition, OffsetAndMetadata> offsets, Exception failure) {
                first.afterCommit(offsets, failure);
                next.afterCommit(offsets, failure);
            }

        };
    }

}
