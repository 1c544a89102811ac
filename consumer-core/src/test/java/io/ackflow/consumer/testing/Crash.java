package io.ackflow.consumer.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.producer.Producer;

/**
 * A process crash for the Kafka clients of one engine or application instance in a broker test:
 * once {@link #crash()} is called, every call on a wrapped client fails as if its process were
 * gone, except those named to pass through (a consumer's {@code close}, which leaves the group at
 * once instead of after its session timeout) and those named to be ignored (a producer's
 * {@code close}: its open transaction stays open on the broker, as a killed process leaves it,
 * until the transaction times out). The real producers behind it are {@linkplain #leak kept} so
 * that the test can {@linkplain #closeLeaked() close} them when it is done.
 * <p>
 * Any thread may use it: the test thread crashes it while the clients' threads call through the
 * wrapped clients, which see the crash at their next call.
 */
public final class Crash {

    private volatile boolean crashed;

    private final List<Producer<?, ?>> leaked = new CopyOnWriteArrayList<>();

    /** From now on, every call on a wrapped client fails, passes through or is ignored. */
    public void crash() {
        this.crashed = true;
    }

    /**
     * Wraps a client in a proxy of {@code type}, an interface it implements: the same client until
     * {@link #crash()}, a dead one after, but for the methods named in {@code passThrough} (called
     * on the client still) and in {@code ignored} (they do nothing and return {@code null}).
     */
    @SuppressWarnings("unchecked")
    public <T> T wrap(Class<T> type, Object target, Set<String> passThrough, Set<String> ignored) {
        if (!type.isInstance(target)) {
            throw new IllegalArgumentException(target + " is not a " + type.getName());
        }
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> {
            if (this.crashed && method.getDeclaringClass() != Object.class && !passThrough.contains(method.getName())) {
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

    /** Keeps a real producer, which a crash may leave open, for {@link #closeLeaked()}. */
    public void leak(Producer<?, ?> producer) {
        this.leaked.add(producer);
    }

    /** Closes, at once, every producer {@linkplain #leak kept}: what the test does when it is done. */
    public void closeLeaked() {
        this.leaked.forEach((producer) -> producer.close(Duration.ZERO));
    }

}
