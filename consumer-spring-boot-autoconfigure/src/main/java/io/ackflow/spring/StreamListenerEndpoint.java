package io.ackflow.spring;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.util.ClassUtils;

import io.ackflow.consumer.Ordering;

/**
 * One {@code @StreamListener} method, resolved: its id, topics, ordering, concurrency, and the key
 * and payload types its parameters ask for. Immutable.
 */
public final class StreamListenerEndpoint {

    private final String id;

    private final Object bean;

    private final Method method;

    private final List<String> topics;

    private final Ordering ordering;

    private final int concurrency;

    private final Type keyType;

    private final Type payloadType;

    StreamListenerEndpoint(String id, Object bean, Method method, List<String> topics, Ordering ordering,
            int concurrency) {
        this.id = id;
        this.bean = bean;
        this.method = method;
        this.topics = List.copyOf(topics);
        this.ordering = ordering;
        this.concurrency = concurrency;
        checkReturnType(method);
        this.keyType = keyType(method);
        this.payloadType = payloadType(method);
    }

    public String id() {
        return this.id;
    }

    public Object bean() {
        return this.bean;
    }

    public Method method() {
        return this.method;
    }

    public List<String> topics() {
        return this.topics;
    }

    /** The ordering the annotation sets, or null for {@code ackflow.ordering}. */
    public Ordering ordering() {
        return this.ordering;
    }

    /** The concurrency the annotation sets, or {@link StreamListener#DEFAULT_CONCURRENCY} for {@code ackflow.concurrency}. */
    public int concurrency() {
        return this.concurrency;
    }

    /** Type the record key is deserialized to: that of the key header or of the ConsumerRecord, else raw bytes. */
    public Type keyType() {
        return this.keyType;
    }

    /** Type the record value is deserialized to: that of the payload or of the ConsumerRecord, else raw bytes. */
    public Type payloadType() {
        return this.payloadType;
    }

    /** How errors name this method: {@code @StreamListener method Class.method(Param, ...)}. */
    public String describe() {
        return describe(this.method);
    }

    static String describe(Method method) {
        StringBuilder text = new StringBuilder("@StreamListener method ").append(ClassUtils.getShortName(method.getDeclaringClass()))
            .append('.').append(method.getName()).append('(');
        Class<?>[] types = method.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            text.append((i > 0) ? ", " : "").append(types[i].getSimpleName());
        }
        return text.append(')').toString();
    }

    private static void checkReturnType(Method method) {
        Class<?> returned = method.getReturnType();
        if (returned != void.class && !CompletionStage.class.isAssignableFrom(returned)) {
            throw new AckflowConfigurationException(describe(method) + " returns " + returned.getSimpleName()
                    + "; a handler returns void, or a CompletableFuture or CompletionStage that completes when it"
                    + " is done with the record.",
                    "Change the return type of " + describe(method) + " to void or CompletableFuture<?>.");
        }
    }

    private static Type keyType(Method method) {
        for (int i = 0; i < method.getParameterCount(); i++) {
            MethodParameter parameter = new MethodParameter(method, i);
            Header header = parameter.getParameterAnnotation(Header.class);
            if (header != null && KafkaHeaders.RECEIVED_KEY.equals(headerName(header))) {
                return parameter.getGenericParameterType();
            }
        }
        Type fromRecord = recordGeneric(method, 0);
        return (fromRecord != null) ? fromRecord : byte[].class;
    }

    private static Type payloadType(Method method) {
        Type payload = null;
        for (int i = 0; i < method.getParameterCount(); i++) {
            MethodParameter parameter = new MethodParameter(method, i);
            boolean explicit = parameter.hasParameterAnnotation(Payload.class);
            if (!explicit && (parameter.hasParameterAnnotation(Header.class)
                    || parameter.hasParameterAnnotation(Headers.class)
                    || ConsumerRecord.class.isAssignableFrom(parameter.getParameterType()))) {
                continue;
            }
            if (payload != null) {
                throw new AckflowConfigurationException(describe(method) + " has more than one payload parameter.",
                        "Annotate the extra parameters of " + describe(method) + " with @Header, or take the"
                                + " ConsumerRecord.");
            }
            payload = parameter.getGenericParameterType();
        }
        if (payload != null) {
            return payload;
        }
        Type fromRecord = recordGeneric(method, 1);
        return (fromRecord != null) ? fromRecord : byte[].class;
    }

    /** Key (0) or value (1) type argument of a ConsumerRecord parameter, when it is a concrete type. */
    private static Type recordGeneric(Method method, int index) {
        for (int i = 0; i < method.getParameterCount(); i++) {
            MethodParameter parameter = new MethodParameter(method, i);
            if (ConsumerRecord.class.isAssignableFrom(parameter.getParameterType())
                    && parameter.getGenericParameterType() instanceof ParameterizedType) {
                ResolvableType generic = ResolvableType.forMethodParameter(parameter).as(ConsumerRecord.class).getGeneric(index);
                Type type = generic.getType();
                if (generic.resolve() != null && generic.resolve() != Object.class) {
                    return type;
                }
            }
        }
        return null;
    }

    private static String headerName(Header header) {
        return !header.name().isEmpty() ? header.name() : header.value();
    }

    @Override
    public String toString() {
        return "StreamListenerEndpoint[" + this.id + " " + this.topics + " " + this.ordering + " x" + this.concurrency + "]";
    }

}
