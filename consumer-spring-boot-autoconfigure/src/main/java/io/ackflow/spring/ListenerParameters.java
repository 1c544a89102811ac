package io.ackflow.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.List;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.ResolvableType;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.support.MessageHeaderAccessor;

/**
 * What the parameters of a {@code @StreamListener} method ask for, read once at start-up, with the
 * shapes {@code @KafkaListener} accepts: the payload ({@code @Payload}, or the one parameter without
 * an annotation), {@code @Header} and {@code @Headers}, {@link ConsumerRecord}, {@link Message},
 * {@link MessageHeaders}. From them come the types the key and value are read as when the
 * application configured no deserializer for them. A payload parameter that is a {@link List} makes
 * the method a batch handler ({@link BatchShape}): the types are then those of the list's elements,
 * and {@code @Header} lists hold one value per record. A parameter that no record can fill fails
 * start-up, naming the method and the parameter. Immutable.
 */
final class ListenerParameters {

    /** The type a side is read as when nothing asks for it: the bytes, not read at all. */
    private static final Type UNREAD = byte[].class;

    /** Spring Boot's default deserializer reads text: what a whole message or its headers show. */
    private static final Type AS_BOOT_READS = String.class;

    private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

    private final Type keyType;

    private final Type payloadType;

    /** How a batch handler takes its list; null for a method that handles one record at a time. */
    private final @Nullable BatchShape batch;

    private ListenerParameters(Type keyType, Type payloadType, @Nullable BatchShape batch) {
        this.keyType = keyType;
        this.payloadType = payloadType;
        this.batch = batch;
    }

    /**
     * Reads the parameters of {@code method}.
     * @throws AckflowConfigurationException for a parameter no record can fill, or two payloads
     */
    static ListenerParameters of(Method method) {
        String where = StreamListenerEndpoint.describe(method);
        Type key = null;
        Type payload = null;
        MethodParameter payloadParameter = null;
        Type fromRecordKey = null;
        Type fromRecordValue = null;
        boolean seesHeaders = false;
        boolean sawRecord = false;
        BatchShape batch = null;
        for (int i = 0; i < method.getParameterCount(); i++) {
            MethodParameter parameter = new MethodParameter(method, i);
            parameter.initParameterNameDiscovery(NAMES);
            Class<?> type = parameter.getParameterType();
            Header header = parameter.getParameterAnnotation(Header.class);
            if (header != null) {
                if (KafkaHeaders.RECEIVED_KEY.equals(!header.name().isEmpty() ? header.name() : header.value())) {
                    key = parameter.getGenericParameterType();
                }
                continue;
            }
            if (parameter.hasParameterAnnotation(Headers.class) || MessageHeaders.class.isAssignableFrom(type)
                    || MessageHeaderAccessor.class.isAssignableFrom(type)) {
                seesHeaders = true;
                continue;
            }
            if (!parameter.hasParameterAnnotation(Payload.class)) {
                if (ConsumerRecord.class.isAssignableFrom(type)) {
                    sawRecord = true;
                    fromRecordKey = generic(parameter, ConsumerRecord.class, 0);
                    fromRecordValue = generic(parameter, ConsumerRecord.class, 1);
                    continue;
                }
                if (Message.class.isAssignableFrom(type)) {
                    seesHeaders = true;
                    Type messagePayload = generic(parameter, Message.class, 0);
                    payload = checkOnePayload(where, payloadParameter, parameter,
                            (messagePayload != null) ? messagePayload : AS_BOOT_READS);
                    payloadParameter = parameter;
                    continue;
                }
                refuseUnsupported(where, parameter);
            }
            if (List.class == type) {
                checkOnePayload(where, payloadParameter, parameter, type);
                payloadParameter = parameter;
                batch = BatchShape.of(parameter);
                ResolvableType element = ResolvableType.forMethodParameter(parameter).as(List.class).getGeneric(0);
                switch (batch) {
                    case RECORDS -> {
                        fromRecordKey = concrete(element.getGeneric(0));
                        fromRecordValue = concrete(element.getGeneric(1));
                    }
                    case MESSAGES -> {
                        seesHeaders = true;
                        Type messagePayload = concrete(element.getGeneric(0));
                        payload = (messagePayload != null) ? messagePayload : AS_BOOT_READS;
                    }
                    default -> payload = (concrete(element) != null) ? element.getType() : AS_BOOT_READS;
                }
                continue;
            }
            payload = checkOnePayload(where, payloadParameter, parameter, parameter.getGenericParameterType());
            payloadParameter = parameter;
        }
        if (batch != null && key != null) {
            // A batch's key header is the list of its records' keys.
            ResolvableType keys = ResolvableType.forType(key);
            key = (keys.resolve() == List.class) ? concrete(keys.getGeneric(0)) : key;
        }
        if (batch != null && sawRecord) {
            throw new AckflowConfigurationException(where + " takes a List, so it is a batch handler, and also one"
                    + " ConsumerRecord, which a batch has many of.",
                    "Take List<ConsumerRecord<K, V>> as the payload of " + where + ", or drop the List to handle one"
                            + " record at a time.");
        }
        Type keyType = (key != null) ? key : (fromRecordKey != null) ? fromRecordKey : seesHeaders ? AS_BOOT_READS : UNREAD;
        Type payloadType = (payload != null) ? payload : (fromRecordValue != null) ? fromRecordValue : UNREAD;
        return new ListenerParameters(keyType, payloadType, batch);
    }

    /**
     * How a batch handler takes its list, or null when the method handles one record at a time:
     * a {@code @StreamListener} method whose payload parameter is a {@link List} is a batch handler.
     */
    @Nullable BatchShape batch() {
        return this.batch;
    }

    /** A type argument when it is a concrete type, else null. */
    private static @Nullable Type concrete(ResolvableType type) {
        Class<?> resolved = type.resolve();
        return (resolved != null && resolved != Object.class) ? type.getType() : null;
    }

    /** Type the key is read as when no key deserializer is configured. */
    Type keyType() {
        return this.keyType;
    }

    /** Type the value is read as when no value deserializer is configured. */
    Type payloadType() {
        return this.payloadType;
    }

    private static Type checkOnePayload(String where, @Nullable MethodParameter earlier, MethodParameter parameter,
            Type type) {
        if (earlier != null) {
            throw new AckflowConfigurationException(where + " has more than one payload parameter: "
                    + name(earlier) + " and " + name(parameter) + " would both be the record's value.",
                    "Annotate the extra parameters of " + where + " with @Header, or take the ConsumerRecord or the"
                            + " Message.");
        }
        return type;
    }

    /** Shapes spring-kafka resolves from its container, which a {@code @StreamListener} has no use for. */
    private static void refuseUnsupported(String where, MethodParameter parameter) {
        Class<?> type = parameter.getParameterType();
        String reason = null;
        if (Acknowledgment.class.isAssignableFrom(type)) {
            reason = "Ackflow acknowledges a record itself, when the method returns or the future it returns"
                    + " completes; there is nothing to acknowledge by hand";
        }
        else if (Consumer.class.isAssignableFrom(type)) {
            reason = "the Kafka consumer belongs to Ackflow's poll thread and must not be used from a handler;"
                    + " pause, resume, seek and commit through AckflowOperations";
        }
        else if (ConsumerRecords.class.isAssignableFrom(type)) {
            reason = "a @StreamListener batch handler takes its records as a List: List<ConsumerRecord<K, V>>,"
                    + " List<Message<T>> or List<T> of payloads";
        }
        else if (type.getName().equals("kotlin.coroutines.Continuation")) {
            reason = "suspending functions are not supported; return a CompletableFuture instead";
        }
        if (reason != null) {
            throw new AckflowConfigurationException(where + " has a parameter that no record can fill: " + name(parameter)
                    + ": " + reason + ".", "Remove " + name(parameter) + " from " + where + ".");
        }
    }

    private static String name(MethodParameter parameter) {
        String name = parameter.getParameterName();
        return "parameter " + parameter.getParameterIndex() + " (" + parameter.getParameterType().getSimpleName()
                + ((name != null) ? " " + name : "") + ")";
    }

    /** A type argument of a parameter, when it is a concrete type. */
    private static @Nullable Type generic(MethodParameter parameter, Class<?> of, int index) {
        ResolvableType generic = ResolvableType.forMethodParameter(parameter).as(of).getGeneric(index);
        Class<?> resolved = generic.resolve();
        return (resolved != null && resolved != Object.class) ? generic.getType() : null;
    }

}
