package io.ackflow.consumer;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The code a batch subscription runs for several records at once (Faust's
 * {@code stream.take(max_, within)}): a list of at most {@link Batching#maxRecords()} records,
 * handed over when it is full or when {@link Batching#maxWait()} has passed since its first record.
 * <p>
 * The handler is done with every record of the list when {@link #handle} returns {@code null}, or,
 * when it returns a {@link CompletionStage}, when that stage completes; each record is then
 * released by this subscription, exactly once. To say that the records before one are done and
 * that one failed, throw {@link io.ackflow.consumer.failure.BatchFailedException} naming it: that
 * record goes through the subscription's retries and recovery alone, and the records after it are
 * handed over again. Any other failure retries the whole list under the subscription's
 * {@link io.ackflow.consumer.failure.ErrorPolicy}, then recovers each record of it.
 * <p>
 * The list is in offset order per partition; under {@link Ordering#PARTITION} it holds the records
 * of one partition. Records the subscription's deserializers cannot read are recovered alone and
 * left out of the list. The list is the handler's to read while it runs; it must not keep it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface BatchHandler<K, V> {

    /**
     * Processes the records of one batch.
     * @param records the records, with their keys and values deserialized; never empty
     * @return {@code null} when processing is complete, or a stage that completes when it is
     * @throws Exception if processing failed
     */
    CompletionStage<?> handle(List<ConsumerRecord<K, V>> records) throws Exception;

    /**
     * Adapts a handler that is done when it returns.
     */
    static <K, V> BatchHandler<K, V> blocking(BlockingBatchHandler<K, V> handler) {
        return (records) -> {
            handler.handle(records);
            return null;
        };
    }

    /**
     * A batch handler that is done with the records when it returns.
     */
    @FunctionalInterface
    interface BlockingBatchHandler<K, V> {

        void handle(List<ConsumerRecord<K, V>> records) throws Exception;

    }

}
