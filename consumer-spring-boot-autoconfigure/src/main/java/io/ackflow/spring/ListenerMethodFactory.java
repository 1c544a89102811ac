package io.ackflow.spring;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.core.convert.converter.Converter;
import org.springframework.core.convert.converter.GenericConverter;
import org.springframework.format.support.DefaultFormattingConversionService;
import org.springframework.kafka.listener.adapter.KafkaMessageHandlerMethodFactory;
import org.springframework.messaging.converter.GenericMessageConverter;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;
import org.springframework.util.ClassUtils;
import org.springframework.validation.Validator;
import org.springframework.validation.beanvalidation.SpringValidatorAdapter;

/**
 * Makes the invocable form of {@code @StreamListener} methods as spring-kafka makes that of
 * {@code @KafkaListener} methods: spring-kafka's {@link KafkaMessageHandlerMethodFactory} (so a
 * tombstone is {@code null} for {@code @Payload(required = false)} through its
 * {@code KafkaNullAwarePayloadArgumentResolver}), a {@link GenericMessageConverter} over a
 * formatting conversion service that also turns header bytes into text and numbers, and the
 * context's validator for {@code @Valid} payloads: a unique Spring {@link Validator} bean, else a
 * unique {@code jakarta.validation.Validator} (Spring Boot's {@code defaultValidator}).
 * <p>
 * Threads: the container's, during refresh; the factory is set up on first use, when every
 * singleton exists. The methods it makes are stateless and run on any handler thread.
 */
final class ListenerMethodFactory {

    private static final String JAKARTA_VALIDATOR = "jakarta.validation.Validator";

    private final BeanFactory beanFactory;

    private @Nullable KafkaMessageHandlerMethodFactory factory;

    ListenerMethodFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    InvocableHandlerMethod create(Object bean, Method method) {
        return factory().createInvocableHandlerMethod(bean, method);
    }

    private synchronized KafkaMessageHandlerMethodFactory factory() {
        if (this.factory == null) {
            DefaultFormattingConversionService conversion = new DefaultFormattingConversionService();
            conversion.addConverter(new BytesToString());
            conversion.addConverter(new BytesToNumber());
            KafkaMessageHandlerMethodFactory created = new KafkaMessageHandlerMethodFactory();
            created.setConversionService(conversion);
            created.setMessageConverter(new GenericMessageConverter(conversion));
            created.setBeanFactory(this.beanFactory);
            Validator validator = validator();
            if (validator != null) {
                created.setValidator(validator);
            }
            created.afterPropertiesSet();
            this.factory = created;
        }
        return this.factory;
    }

    private @Nullable Validator validator() {
        Validator spring = this.beanFactory.getBeanProvider(Validator.class).getIfUnique();
        if (spring != null) {
            return spring;
        }
        if (!ClassUtils.isPresent(JAKARTA_VALIDATOR, getClass().getClassLoader())) {
            return null;
        }
        jakarta.validation.Validator jakarta = this.beanFactory.getBeanProvider(jakarta.validation.Validator.class)
            .getIfUnique();
        if (jakarta instanceof Validator both) {
            return both;
        }
        return (jakarta != null) ? new SpringValidatorAdapter(jakarta) : null;
    }

    /** Header bytes as UTF-8 text, as spring-kafka converts them for {@code @Header String}. */
    private static final class BytesToString implements Converter<byte[], String> {

        @Override
        public String convert(byte[] source) {
            return new String(source, StandardCharsets.UTF_8);
        }

    }

    /** Header bytes as a big-endian number, as Kafka's serializers and spring-kafka's DLT headers write them. */
    private static final class BytesToNumber implements GenericConverter {

        @Override
        public Set<ConvertiblePair> getConvertibleTypes() {
            return Set.of(new ConvertiblePair(byte[].class, long.class), new ConvertiblePair(byte[].class, Long.class),
                    new ConvertiblePair(byte[].class, int.class), new ConvertiblePair(byte[].class, Integer.class),
                    new ConvertiblePair(byte[].class, short.class), new ConvertiblePair(byte[].class, Short.class),
                    new ConvertiblePair(byte[].class, byte.class), new ConvertiblePair(byte[].class, Byte.class));
        }

        @Override
        public @Nullable Object convert(@Nullable Object source, TypeDescriptor sourceType, TypeDescriptor targetType) {
            if (source == null) {
                return null;
            }
            ByteBuffer bytes = ByteBuffer.wrap((byte[]) source);
            Class<?> target = ClassUtils.resolvePrimitiveIfNecessary(targetType.getType());
            int needed = (target == Long.class) ? Long.BYTES : (target == Integer.class) ? Integer.BYTES
                    : (target == Short.class) ? Short.BYTES : Byte.BYTES;
            if (bytes.remaining() != needed) {
                throw new IllegalArgumentException("A header of " + bytes.remaining() + " bytes is not a "
                        + target.getSimpleName() + " (" + needed + " bytes)");
            }
            return (target == Long.class) ? (Object) bytes.getLong() : (target == Integer.class) ? (Object) bytes.getInt()
                    : (target == Short.class) ? (Object) bytes.getShort() : (Object) bytes.get();
        }

    }

}
