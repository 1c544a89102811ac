package io.ackflow.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;
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

    private final @Nullable BatchShape batch;

    StreamListenerEndpoint(String id, Object bean, Method method, List<String> topics, Ordering ordering,
            int concurrency) {
        this.id = id;
        this.bean = bean;
        this.method = method;
        this.topics = List.copyOf(topics);
        this.ordering = ordering;
        this.concurrency = concurrency;
        checkReturnType(method);
        ListenerParameters parameters = ListenerParameters.of(method);
        this.keyType = parameters.keyType();
        this.payloadType = parameters.payloadType();
        this.batch = parameters.batch();
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

    /**
     * Type the record key is read as when no key deserializer is configured: that of the key
     * header or of the ConsumerRecord, String when the method sees the headers as a whole, else
     * raw bytes (see {@link ListenerParameters}).
     */
    public Type keyType() {
        return this.keyType;
    }

    /**
     * Type the record value is read as when no value deserializer is configured: that of the
     * payload, of the Message's payload or of the ConsumerRecord, else raw bytes.
     */
    public Type payloadType() {
        return this.payloadType;
    }

    /** Whether the method is a batch handler: its payload parameter is a {@code List}. */
    public boolean isBatch() {
        return this.batch != null;
    }

    /** How a batch handler takes its records; null unless {@link #isBatch()}. */
    @Nullable BatchShape batchShape() {
        return this.batch;
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
                    + " is done with the record (a batch handler: with every record of its batch).",
                    "Change the return type of " + describe(method) + " to void or CompletableFuture<?>.");
        }
    }

    @Override
    public String toString() {
        return "StreamListenerEndpoint[" + this.id + " " + this.topics + " " + this.ordering + " x" + this.concurrency
                + ((this.batch != null) ? " batch" : "") + "]";
    }

}
