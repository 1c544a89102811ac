package io.ackflow.consumer.transaction;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactional producer of an exactly-once engine and the transaction it has open.
 * <p>
 * A producer comes from the factory when the first transaction begins, with its transactions
 * initialized (its {@code transactional.id} set and {@code initTransactions} called, as
 * spring-kafka's {@code DefaultKafkaProducerFactory} does). A producer that can no longer be
 * trusted (fenced by a newer instance with its transactional id, a fatal error, a commit whose
 * outcome is unknown, or handlers still running when its transaction had to end) is closed and
 * the next transaction begins on a new one: a handler that outlived its transaction and sends
 * later fails on the closed producer instead of writing into the next transaction.
 * <p>
 * Threads: the poll thread alone begins, commits and aborts transactions; handler threads only
 * send through the producer while a transaction is open, which Kafka's producer allows from any
 * thread.
 */
final class Transactions {

    private static final Logger logger = LoggerFactory.getLogger(Transactions.class);

    /** Tries of a commit that timed out before its outcome counts as unknown. */
    private static final int COMMIT_TRIES = 3;

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final Supplier<? extends Producer<?, ?>> factory;

    private final String engine;

    private Producer<?, ?> producer;

    private boolean open;

    Transactions(Supplier<? extends Producer<?, ?>> factory, String engine) {
        this.factory = Objects.requireNonNull(factory, "factory must not be null");
        this.engine = engine;
    }

    /** Whether a transaction is open: records were dispatched since the last commit or abort. */
    boolean isOpen() {
        return this.open;
    }

    /** Begins a transaction unless one is open, creating the producer first when there is none. */
    void begin() {
        if (this.open) {
            return;
        }
        if (this.producer == null) {
            this.producer = Objects.requireNonNull(this.factory.get(),
                    "Engine '" + this.engine + "': the transactional producer factory returned null");
        }
        try {
            this.producer.beginTransaction();
        }
        catch (RuntimeException ex) {
            replace("it could not begin a transaction: " + ex);
            throw ex;
        }
        this.open = true;
    }

    /**
     * Sends {@code offsets} to the open transaction with the consumer's group metadata, so a
     * member of an older generation is fenced (KIP-447), and commits it. On failure the
     * transaction is aborted, or the producer replaced when it cannot abort; either way the
     * caller reads the records again from the offsets the broker has.
     * @throws KafkaException the reason the commit failed
     */
    void commit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
        if (!this.open) {
            return;
        }
        try {
            if (!offsets.isEmpty()) {
                this.producer.sendOffsetsToTransaction(offsets, group);
            }
            for (int tries = 1;; tries++) {
                try {
                    this.producer.commitTransaction();
                    break;
                }
                catch (TimeoutException ex) {
                    // Retrying the same commit is what the producer expects after a timeout.
                    if (tries == COMMIT_TRIES) {
                        throw ex;
                    }
                    logger.info("Engine '{}': committing the transaction timed out ({}), trying again", this.engine,
                            ex.getMessage());
                }
            }
            this.open = false;
        }
        catch (RuntimeException ex) {
            if (isFatal(ex) || ex instanceof TimeoutException) {
                // Fenced, fatal, or an outcome the broker alone knows: this producer is done.
                replace("its commit failed: " + ex);
            }
            else {
                abort();
            }
            throw ex;
        }
    }

    /** Aborts the open transaction; a producer that cannot abort is replaced (its transaction then times out). */
    void abort() {
        if (!this.open) {
            return;
        }
        try {
            // Sends of the aborted transaction settle first: an abort while batches are in flight
            // can leave the producer's sequence numbers behind the epoch the abort bumps
            // (transactions v2), and its next transaction's sends are then refused as out of order.
            this.producer.flush();
        }
        catch (RuntimeException ex) {
            logger.debug("Engine '{}': flushing before an abort failed: {}", this.engine, ex.toString());
        }
        try {
            this.producer.abortTransaction();
            this.open = false;
        }
        catch (RuntimeException ex) {
            replace("it could not abort its transaction: " + ex);
        }
    }

    /**
     * Closes the producer, aborting its open transaction as the producer does on close, so that
     * nothing more is sent with it; the next transaction begins on a new producer.
     */
    void replace(String why) {
        this.open = false;
        Producer<?, ?> closing = this.producer;
        this.producer = null;
        if (closing == null) {
            return;
        }
        logger.warn("Engine '{}': closing its transactional producer, {}; the next transaction uses a new one",
                this.engine, why);
        closeQuietly(closing);
    }

    /** Aborts what is open and closes the producer: the engine is stopping. */
    void close() {
        abort();
        Producer<?, ?> closing = this.producer;
        this.producer = null;
        if (closing != null) {
            closeQuietly(closing);
        }
    }

    /** Closes {@code producer} (aborting its open transaction, as the producer does on close); a failure is only logged. */
    private void closeQuietly(Producer<?, ?> producer) {
        try {
            producer.close(CLOSE_TIMEOUT);
        }
        catch (RuntimeException ex) {
            logger.debug("Engine '{}': closing the transactional producer failed: {}", this.engine, ex.toString());
        }
    }

    /** Errors after which the producer cannot go on (Kafka's producer documents these as fatal). */
    private static boolean isFatal(RuntimeException ex) {
        return ex instanceof ProducerFencedException || ex instanceof InvalidProducerEpochException
                || ex instanceof OutOfOrderSequenceException || ex instanceof AuthorizationException
                || ex instanceof UnsupportedVersionException || ex instanceof IllegalStateException;
    }

}
