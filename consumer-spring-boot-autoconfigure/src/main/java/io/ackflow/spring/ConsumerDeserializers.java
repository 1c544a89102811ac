package io.ackflow.spring;

import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeanUtils;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.util.ClassUtils;

/**
 * The key and value deserializers of one Ackflow consumer, as the application configured them for
 * {@code @KafkaListener}: the instances of the context's {@link ConsumerFactory} bean when it has
 * them, else the classes of {@code key.deserializer} and {@code value.deserializer} in its settings
 * ({@code spring.kafka.consumer.key-deserializer}, {@code spring.kafka.consumer.properties.*},
 * {@code spring.kafka.properties.*}), each configured with the consumer's settings as
 * {@code DefaultKafkaConsumerFactory} does. An {@link ErrorHandlingDeserializer} is wrapped so that
 * a record its delegate cannot read is a poison pill ({@link ErrorHandlingDeserializerCheck}).
 * <p>
 * A side set to {@link StringDeserializer} or {@link ByteArrayDeserializer} (Spring Boot's default is
 * {@code StringDeserializer} for both), or to nothing, is <em>not configured</em>: the listeners'
 * parameter types choose how it is read ({@link PayloadDeserializers}), so a {@code String}
 * parameter gets text, a {@code byte[]} one the bytes, and a record class JSON.
 * <p>
 * One instance per consumer, shared by its listeners, so each deserializer runs once per record
 * whatever the number of listeners. It is called on the handler threads (the first that needs a
 * record deserializes it for all), so for several records at once: as with a
 * {@code ConsumerFactory} bean's instances under spring-kafka's {@code concurrency}, it must be
 * thread-safe, as Kafka's own, spring-kafka's and schema registries' deserializers are. Closed
 * with the registry.
 */
final class ConsumerDeserializers implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ConsumerDeserializers.class);

    /** Deserializers that leave the choice to the parameter types. */
    private static final Set<Class<?>> NOT_CONFIGURED = Set.of(StringDeserializer.class, ByteArrayDeserializer.class);

    static final ConsumerDeserializers NONE = new ConsumerDeserializers(null, null);

    private final @Nullable Deserializer<?> key;

    private final @Nullable Deserializer<?> value;

    private ConsumerDeserializers(@Nullable Deserializer<?> key, @Nullable Deserializer<?> value) {
        this.key = key;
        this.value = value;
    }

    /**
     * The deserializers {@code factory} configures, set up with {@code configs}.
     * @param configs the consumer's client settings, {@code key.deserializer} and
     * {@code value.deserializer} included
     * @throws AckflowConfigurationException when a configured class cannot be found, is not a
     * {@link Deserializer}, or refuses the settings
     */
    static ConsumerDeserializers of(ConsumerFactory<?, ?> factory, Map<String, Object> configs) {
        Deserializer<?> key = configured(factory.getKeyDeserializer(), configs, true);
        Deserializer<?> value = configured(factory.getValueDeserializer(), configs, false);
        return (key == null && value == null) ? NONE : new ConsumerDeserializers(key, value);
    }

    /** The configured key deserializer; null when the parameter types choose. */
    @Nullable Deserializer<?> key() {
        return this.key;
    }

    /** The configured value deserializer; null when the parameter types choose. */
    @Nullable Deserializer<?> value() {
        return this.value;
    }

    private static @Nullable Deserializer<?> configured(@Nullable Deserializer<?> instance, Map<String, Object> configs,
            boolean isKey) {
        String property = isKey ? ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG
                : ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG;
        String where = (instance != null) ? "The " + (isKey ? "key" : "value") + " deserializer of the ConsumerFactory bean"
                : "spring.kafka.consumer." + (isKey ? "key" : "value") + "-deserializer (" + property + ")";
        Deserializer<?> deserializer = (instance != null) ? instance : instantiate(configs.get(property), where);
        if (deserializer == null || NOT_CONFIGURED.contains(deserializer.getClass())) {
            return null;
        }
        try {
            deserializer.configure(configs, isKey);
        }
        catch (RuntimeException ex) {
            throw new AckflowConfigurationException(where + ", " + deserializer.getClass().getName()
                    + ", refuses the consumer's settings: " + ex.getMessage(),
                    "Fix the settings it names (spring.kafka.consumer.properties.*), or the deserializer.");
        }
        logger.debug("Ackflow reads record {}s with {}", isKey ? "key" : "value", deserializer.getClass().getName());
        return (deserializer instanceof ErrorHandlingDeserializer<?>)
                ? new ErrorHandlingDeserializerCheck(deserializer, isKey) : deserializer;
    }

    private static @Nullable Deserializer<?> instantiate(@Nullable Object setting, String where) {
        if (setting == null || (setting instanceof String text && text.isBlank())) {
            return null;
        }
        Class<?> type;
        if (setting instanceof Class<?> given) {
            type = given;
        }
        else {
            String name = setting.toString().trim();
            try {
                type = ClassUtils.forName(name, ConsumerDeserializers.class.getClassLoader());
            }
            catch (ClassNotFoundException | LinkageError ex) {
                throw new AckflowConfigurationException(where + " is '" + name + "', which is not on the classpath.",
                        "Correct the class name, or add the library that has it.");
            }
        }
        if (!Deserializer.class.isAssignableFrom(type)) {
            throw new AckflowConfigurationException(where + " is " + type.getName()
                    + ", which is not an org.apache.kafka.common.serialization.Deserializer.",
                    "Name a Deserializer class.");
        }
        return (Deserializer<?>) BeanUtils.instantiateClass(type);
    }

    @Override
    public void close() {
        for (Deserializer<?> deserializer : new Deserializer<?>[] { this.key, this.value }) {
            if (deserializer != null) {
                try {
                    deserializer.close();
                }
                catch (RuntimeException ex) {
                    logger.warn("Closing {} failed", deserializer.getClass().getName(), ex);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ConsumerDeserializers[key=" + name(this.key) + ", value=" + name(this.value) + "]";
    }

    private static String name(@Nullable Deserializer<?> deserializer) {
        return (deserializer != null) ? deserializer.getClass().getSimpleName() : "by parameter type";
    }

}
