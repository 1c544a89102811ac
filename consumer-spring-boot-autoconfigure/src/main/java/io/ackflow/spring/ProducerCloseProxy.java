package io.ackflow.spring;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.Consumer;

import org.apache.kafka.clients.producer.Producer;
import org.jspecify.annotations.Nullable;

/**
 * A Kafka {@link Producer} whose {@code close} methods are replaced, every other call going to the
 * producer as it is: to tell the factory's listeners when an engine's producer closes, and to lend
 * the engine's producer to a dead-letter template that must not close it.
 * <p>
 * Threads: stateless; a proxy is called from whichever threads use the producer behind it.
 */
final class ProducerCloseProxy {

    private ProducerCloseProxy() {
    }

    /** {@code producer} with {@code close} doing nothing: the template that borrows it must not close the engine's. */
    static <K, V> Producer<K, V> unclosed(Producer<K, V> producer) {
        return withClose(producer, (realClose) -> { });
    }

    /**
     * {@code producer} with its {@code close} methods replaced by {@code close}, which is given the
     * real close to run or not.
     */
    @SuppressWarnings("unchecked")
    static <K, V> Producer<K, V> withClose(Producer<K, V> producer, Consumer<Runnable> close) {
        return (Producer<K, V>) Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] { Producer.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        close.accept(() -> invoke(producer, method, args));
                        return null;
                    }
                    if (method.getDeclaringClass() == Object.class && method.getName().equals("equals")) {
                        return proxy == args[0];
                    }
                    return invoke(producer, method, args);
                });
    }

    private static @Nullable Object invoke(Object target, Method method, Object @Nullable [] args) {
        try {
            return method.invoke(target, args);
        }
        catch (InvocationTargetException ex) {
            if (ex.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (ex.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(ex.getCause());
        }
        catch (IllegalAccessException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
