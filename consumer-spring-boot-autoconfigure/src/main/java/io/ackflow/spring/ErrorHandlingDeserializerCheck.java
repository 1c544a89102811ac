package io.ackflow.spring;

import java.util.Map;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.kafka.support.serializer.SerializationUtils;

/**
 * Makes a record that an {@link ErrorHandlingDeserializer}'s delegate cannot read a poison pill, as
 * spring-kafka's containers do: when the deserializer returns null and has put its
 * deserialization-exception header on the record, that header is taken off the record (so neither
 * other listeners nor the dead letter carry it) and its {@link DeserializationException} is thrown.
 * The engine then hands the record, with its raw bytes, to each listener's error policy. Only a
 * header the deserializer made here is trusted (spring-kafka's check), never one that came with
 * the record. A value returned by the deserializer's failed-deserialization
 * function is handed over as it is, with the header, as in spring-kafka.
 * <p>
 * Threads: the handler threads, as the deserializer it wraps; one record's headers are read and
 * changed by one thread at a time (the engine deserializes a record once, under its lock).
 */
final class ErrorHandlingDeserializerCheck implements Deserializer<Object> {

    private static final LogAccessor logger = new LogAccessor(ErrorHandlingDeserializerCheck.class);

    private final Deserializer<Object> delegate;

    private final String header;

    private final boolean isKey;

    @SuppressWarnings("unchecked")
    ErrorHandlingDeserializerCheck(Deserializer<?> delegate, boolean isKey) {
        this.delegate = (Deserializer<Object>) delegate;
        this.isKey = isKey;
        this.header = isKey ? SerializationUtils.KEY_DESERIALIZER_EXCEPTION_HEADER
                : SerializationUtils.VALUE_DESERIALIZER_EXCEPTION_HEADER;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Configured once, by ConsumerDeserializers, before it is wrapped.
    }

    /** Without the record's headers: the deserializer's exception header goes on headers of its own. */
    @Override
    public Object deserialize(String topic, byte[] data) {
        return deserialize(topic, new RecordHeaders(), data);
    }

    @Override
    public Object deserialize(String topic, Headers headers, byte[] data) {
        Object result = this.delegate.deserialize(topic, headers, data);
        if (result != null) {
            return result;
        }
        Header failure = headers.lastHeader(this.header);
        if (failure == null) {
            return null;
        }
        DeserializationException exception;
        try {
            exception = SerializationUtils.byteArrayToDeserializationException(logger, failure);
        }
        catch (IllegalStateException foreign) {
            // A header that came with the record, not one the deserializer made: not trusted.
            return null;
        }
        headers.remove(this.header);
        throw (exception != null) ? exception : new DeserializationException("The " + (this.isKey ? "key" : "value")
                + " deserializer failed, and its exception could not be read back", data, this.isKey, null);
    }

    @Override
    public void close() {
        this.delegate.close();
    }

    /** The wrapped deserializer, for diagnostics. */
    Deserializer<Object> delegate() {
        return this.delegate;
    }

}
