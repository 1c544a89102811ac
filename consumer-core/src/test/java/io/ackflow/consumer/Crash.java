package io.ackflow.consumer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;

/**
 * A process crash for clients in a test: once {@link #crash()} is called, every call on a wrapped
 * client fails as if its process were gone, except those named to pass through (a consumer's
 * {@code close}, which leaves the group at once instead of after its session timeout) and those
 * named to be ignored (a producer's {@code close}: its open transaction stays open on the broker,
 * as a killed process leaves it, until the transaction times out).
 */
final class Crash {

    private volatile boolean crashed;

    void crash() {
        this.crashed = true;
    }

    boolean crashed() {
        return this.crashed;
    }

    @SuppressWarnings("unchecked")
    <T> T wrap(Class<T> type, T target, Set<String> passThrough, Set<String> ignored) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(target, args);
            }
            if (this.crashed && !passThrough.contains(method.getName())) {
                if (ignored.contains(method.getName())) {
                    return null;
                }
                throw new IllegalStateException("The process crashed");
            }
            try {
                return method.invoke(target, args);
            }
            catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
        });
    }

}
