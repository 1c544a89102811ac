package io.ackflow.consumer;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The code a subscription runs for each record of its topics.
 * <p>
 * A handler is done with a record when {@link #handle} returns {@code null}, or, when it returns a
 * {@link CompletionStage}, when that stage completes. Either way the record is then released by
 * this subscription, exactly once, whatever the outcome: a handler that throws or whose stage
 * completes exceptionally has its failure logged and counted and the record is released too.
 * <p>
 * Handlers run on virtual threads when the JVM has them (21+), otherwise on the engine's bounded
 * handler pool; a blocking handler is fine on either.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface RecordHandler<K, V> {

    /**
     * Processes one record.
     * @param record the record, with its key and value deserialized
     * @return {@code null} when processing is complete, or a stage that completes when it is
     * @throws Exception if processing failed
     */
    CompletionStage<?> handle(ConsumerRecord<K, V> record) throws Exception;

    /**
     * Adapts a handler that is done when it returns.
     */
    static <K, V> RecordHandler<K, V> blocking(BlockingHandler<K, V> handler) {
        return (record) -> {
            handler.handle(record);
            return null;
        };
    }

    /**
     * A handler that is done with the record when it returns.
     */
    @FunctionalInterface
    interface BlockingHandler<K, V> {

        void handle(ConsumerRecord<K, V> record) throws Exception;

    }

}
