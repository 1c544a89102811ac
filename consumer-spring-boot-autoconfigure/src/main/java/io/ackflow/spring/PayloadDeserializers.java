package io.ackflow.spring;

import java.lang.reflect.Type;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.dispatch.RawRecords;

/**
 * One deserializer per key or payload type, shared by every handler that wants that type, so
 * the engine deserializes each record once per distinct pair of key and payload types.
 * {@code byte[]} is the raw record, {@code String} is UTF-8, and any other type is read as JSON
 * by the {@link JsonDeserializerFactory}, when there is one.
 */
public class PayloadDeserializers {

    private final Map<Type, Deserializer<?>> byType = new ConcurrentHashMap<>();

    private final @Nullable JsonDeserializerFactory json;

    public PayloadDeserializers(@Nullable JsonDeserializerFactory json) {
        this.json = json;
        this.byType.put(byte[].class, RawRecords.DESERIALIZER);
        this.byType.put(String.class, new StringDeserializer());
    }

    /**
     * The shared deserializer of {@code type}.
     * @param where the handler asking, for the message when the type cannot be read
     * @throws AckflowConfigurationException when the type needs JSON and no JSON support is present
     */
    public Deserializer<?> forType(Type type, String where) {
        Deserializer<?> known = this.byType.get(type);
        if (known != null) {
            return known;
        }
        if (this.json == null) {
            throw new AckflowConfigurationException(where + " takes " + type.getTypeName()
                    + ", which Ackflow reads as JSON, but Jackson is not on the classpath.",
                    "Add Jackson (for example org.springframework.boot:spring-boot-starter-json) or take the payload"
                            + " as String or byte[].");
        }
        return this.byType.computeIfAbsent(type, this.json::create);
    }

    /** Creates a deserializer that reads a payload of the given type as JSON. */
    @FunctionalInterface
    public interface JsonDeserializerFactory {

        Deserializer<?> create(Type type);

    }

}
