package io.ackflow.consumer;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the executor one subscription's handlers run on. Each subscription has its own, so a
 * listener whose handlers all block holds only its own threads and never starves another one.
 * <p>
 * On Java 21+ (unless the config turns them off) it is a virtual thread per task; before, a pool
 * of platform threads no larger than the handler thread setting nor than the subscription's
 * concurrency (a subscription never runs more than its concurrency at once, so more threads
 * would idle). Either way the threads are named
 * {@code ackflow-<engine>-<subscription>-<n>}, the name that the stuck-partition report, the
 * engine's snapshot and a thread dump show.
 * <p>
 * The code is compiled for Java 17, so the Java 21 methods are found by reflection, once per
 * executor, never per task.
 */
final class HandlerExecutors {

    private static final Logger logger = LoggerFactory.getLogger(HandlerExecutors.class);

    private HandlerExecutors() {
    }

    /** The name prefix of a subscription's handler threads; a number follows it. */
    static String threadPrefix(String engineName, String subscriptionId) {
        return "ackflow-" + engineName + "-" + subscriptionId + "-";
    }

    static ExecutorService create(String engineName, Subscription<?, ?> subscription, EngineConfig config) {
        String prefix = threadPrefix(engineName, subscription.id());
        if (config.virtualThreads()) {
            ExecutorService virtual = virtualThreadPerTask(prefix);
            if (virtual != null) {
                logger.debug("Engine '{}' runs the handlers of '{}' on virtual threads", engineName, subscription.id());
                return virtual;
            }
        }
        int threads = Math.max(1, Math.min(config.handlerThreads(), subscription.concurrency()));
        AtomicLong count = new AtomicLong();
        ThreadFactory factory = (runnable) -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), factory);
        logger.debug("Engine '{}' runs the handlers of '{}' on at most {} platform threads", engineName,
                subscription.id(), threads);
        return pool;
    }

    /**
     * {@code Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(prefix, 1).factory())} on
     * 21+; null before, and on 19-20 where virtual threads are a preview that is not enabled.
     */
    private static ExecutorService virtualThreadPerTask(String prefix) {
        try {
            Class<?> builderType = Class.forName("java.lang.Thread$Builder");
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            builder = builderType.getMethod("name", String.class, long.class).invoke(builder, prefix, 1L);
            ThreadFactory factory = (ThreadFactory) builderType.getMethod("factory").invoke(builder);
            Method perTask = Executors.class.getMethod("newThreadPerTaskExecutor", ThreadFactory.class);
            return (ExecutorService) perTask.invoke(null, factory);
        }
        catch (ReflectiveOperationException ex) {
            return null;
        }
    }

}
