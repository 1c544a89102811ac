package io.ackflow.spring;

import java.lang.reflect.Type;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads JSON payloads with the application's Jackson {@link JsonMapper}. A payload that is not
 * valid JSON for the type fails with a {@link SerializationException}, which the engine treats
 * as a poison pill (logged with the record's coordinates, released, the partition keeps
 * committing).
 */
class JacksonJsonDeserializerFactory implements PayloadDeserializers.JsonDeserializerFactory {

    private final JsonMapper mapper;

    JacksonJsonDeserializerFactory(JsonMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public Deserializer<?> create(Type type) {
        JavaType javaType = this.mapper.getTypeFactory().constructType(type);
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return this.mapper.readValue(data, javaType);
            }
            catch (JacksonException ex) {
                throw new SerializationException("Cannot read " + javaType + " from JSON: " + ex.getOriginalMessage(), ex);
            }
        };
    }

}
