package io.ackflow.consumer.dispatch;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One polled record as its topic's subscriptions read it: deserialized once per distinct
 * deserializer ({@link Deserialization}), on the first handler thread that needs it, not on the
 * poll thread; the other subscriptions of the record share the result. Each group of
 * subscriptions gets a {@link ConsumerRecord} or, for a record its deserializers cannot read (a
 * poison pill for that group), a {@link RecordDeserializationException}.
 * <p>
 * Threads: made by the poll thread; {@link #result} from any handler thread. The first caller
 * deserializes under this object's lock, so one record's deserializers never run on two threads
 * at once and each runs once; later callers read the published results without locking.
 */
final class DecodedRecord {

    private static final Logger logger = LoggerFactory.getLogger(Conductor.class);

    private final ConsumerRecord<byte[], byte[]> raw;

    private final Deserialization deserialization;

    /** Per group: its record or its failure; null until the first call. */
    private volatile Object[] results;

    DecodedRecord(ConsumerRecord<byte[], byte[]> raw, Deserialization deserialization) {
        this.raw = raw;
        this.deserialization = deserialization;
    }

    private DecodedRecord(Object[] results) {
        this.raw = null;
        this.deserialization = null;
        this.results = results;
    }

    /** A record already read, for one group: a {@link ConsumerRecord} or a deserialization failure. */
    static DecodedRecord of(Object result) {
        return new DecodedRecord(new Object[] { result });
    }

    /** The record group {@code group} gets, or its {@link RecordDeserializationException}. */
    Object result(int group) {
        Object[] read = this.results;
        if (read == null) {
            synchronized (this) {
                read = this.results;
                if (read == null) {
                    read = this.deserialization.deserialize(this.raw);
                    logFailures(read);
                    this.results = read;
                }
            }
        }
        return read[group];
    }

    private void logFailures(Object[] read) {
        for (int group = 0; group < read.length; group++) {
            if (read[group] instanceof RecordDeserializationException failure && logger.isDebugEnabled()) {
                // The deserializer's own words may quote the bytes: DEBUG only.
                logger.debug("Cannot deserialize {}-{}@{} for the subscriptions at {}: {}", this.raw.topic(),
                        this.raw.partition(), this.raw.offset(), java.util.Arrays.toString(this.deserialization.members(group)),
                        failure.getCause().toString());
            }
        }
    }

}
