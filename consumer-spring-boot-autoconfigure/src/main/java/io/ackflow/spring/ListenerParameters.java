package io.ackflow.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Type;

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
 * application configured no deserializer for them. A parameter that no record can fill fails
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

    private ListenerParameters(Type keyType, Type payloadType) {
        this.keyType = keyType;
        this.payloadType = payloadType;
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
            payload = checkOnePayload(where, payloadParameter, parameter, parameter.getGenericParameterType());
            payloadParameter = parameter;
        }
        Type keyType = (key != null) ? key : (fromRecordKey != null) ? fromRecordKey : seesHeaders ? AS_BOOT_READS : UNREAD;
        Type payloadType = (payload != null) ? payload : (fromRecordValue != null) ? fromRecordValue : UNREAD;
        return new ListenerParameters(keyType, payloadType);
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
            reason = "a @StreamListener method handles one record at a time; take the record's payload, its"
                    + " ConsumerRecord, or its headers as @Headers Map<String, Object>";
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
