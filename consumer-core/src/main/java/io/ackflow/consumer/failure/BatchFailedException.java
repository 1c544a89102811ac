package io.ackflow.consumer.failure;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Thrown by a {@link io.ackflow.consumer.BatchHandler} to say which record of its batch failed:
 * the records before it are done (released), the named record goes through the subscription's
 * retries and recovery alone (the handler is called again with a list of that one record), and
 * the records after it are handed over again in a later batch. The same contract as
 * spring-kafka's {@code BatchListenerFailedException}, which the Spring Boot starter maps to this.
 * <p>
 * The record is named by its index in the list the handler got, or by the record itself (the
 * instance of that list). A name that matches no record of the batch fails the whole batch.
 */
public class BatchFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int index;

    private final transient ConsumerRecord<?, ?> record;

    /**
     * @param index the failed record's index in the batch
     * @param cause why it failed; what the error policy's not-retryable list is matched against
     */
    public BatchFailedException(int index, Throwable cause) {
        super("Batch failed at index " + index, cause);
        this.index = index;
        this.record = null;
    }

    /**
     * @param record the failed record, an element of the batch
     * @param cause why it failed; what the error policy's not-retryable list is matched against
     */
    public BatchFailedException(ConsumerRecord<?, ?> record, Throwable cause) {
        super("Batch failed at " + record.topic() + "-" + record.partition() + "@" + record.offset(), cause);
        this.index = -1;
        this.record = record;
    }

    /** The failed record's index, or -1 when it is named by {@link #record()}. */
    public int index() {
        return this.index;
    }

    /** The failed record, or null when it is named by {@link #index()}. */
    public ConsumerRecord<?, ?> record() {
        return this.record;
    }

    /** Why the record failed: the cause, or this exception when it has none. */
    public Throwable failure() {
        return (getCause() != null) ? getCause() : this;
    }

}
