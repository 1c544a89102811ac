package io.ackflow.spring;

import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.jspecify.annotations.Nullable;

/**
 * The key and value serializers of an engine's transactional producer: the application's
 * ({@code spring.kafka.producer.key-serializer} and {@code value-serializer}, or the
 * {@code ProducerFactory}'s own serializer instances), except that {@code byte[]} is written as it
 * is, so that the dead-letter publisher can send a failed record's original bytes in the same
 * transaction. A serializer class that is missing or not on the class path is refused, naming the
 * property.
 * <p>
 * Threads: called on the engine's poll thread, each time it makes a producer; stateless. The
 * serializers it returns are the producer's, used by the threads that send with it.
 */
final class TransactionalSerializers {

    private TransactionalSerializers() {
    }

    /**
     * The configured serializer of keys ({@code isKey}) or values, {@code byte[]} first.
     * @param supplier the factory's serializer supplier, if it has one
     * @param configs the producer's settings, which name the serializer class when there is no supplier
     * @throws AckflowConfigurationException when no serializer is configured or its class cannot be found
     */
    static Serializer<Object> rawBytesFirst(@Nullable Supplier<? extends @Nullable Serializer<?>> supplier,
            Map<String, Object> configs, boolean isKey) {
        return new RawBytesFirst(delegate(supplier, configs,
                isKey ? ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG : ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, isKey));
    }

    @SuppressWarnings("unchecked")
    private static Serializer<Object> delegate(@Nullable Supplier<? extends @Nullable Serializer<?>> supplier,
            Map<String, Object> configs, String property, boolean isKey) {
        Serializer<?> serializer = (supplier != null) ? supplier.get() : null;
        if (serializer == null) {
            Object type = configs.get(property);
            if (type instanceof Class<?> cls) {
                serializer = (Serializer<?>) Utils.newInstance(cls);
            }
            else if (type instanceof String name && !name.isBlank()) {
                try {
                    serializer = Utils.newInstance(name.trim(), Serializer.class);
                }
                catch (ClassNotFoundException ex) {
                    throw new AckflowConfigurationException("The producer's " + property + " class '" + name
                            + "' is not on the class path.", "Correct spring.kafka.producer." + (isKey ? "key" : "value")
                                    + "-serializer.");
                }
            }
            else {
                throw new AckflowConfigurationException("The producer has no " + property + ".",
                        "Set spring.kafka.producer." + (isKey ? "key" : "value") + "-serializer.");
            }
        }
        serializer.configure(configs, isKey);
        return (Serializer<Object>) serializer;
    }

    /**
     * The application's serializer, except for {@code byte[]}, which is written as it is (the
     * original bytes of a dead-lettered record).
     */
    private static final class RawBytesFirst implements Serializer<Object> {

        private final Serializer<Object> delegate;

        RawBytesFirst(Serializer<Object> delegate) {
            this.delegate = delegate;
        }

        @Override
        public byte[] serialize(String topic, Object data) {
            return (data instanceof byte[] bytes) ? bytes : this.delegate.serialize(topic, data);
        }

        @Override
        public byte[] serialize(String topic, Headers headers, Object data) {
            return (data instanceof byte[] bytes) ? bytes : this.delegate.serialize(topic, headers, data);
        }

        @Override
        public void close() {
            this.delegate.close();
        }

    }

}
