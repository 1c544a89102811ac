package io.ackflow.consumer;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the executor handlers run on: a virtual thread per task when the JVM has them (21+)
 * and the config allows it, otherwise a pool of platform threads no larger than the handler
 * thread setting nor than the subscriptions' total concurrency (each subscription never runs
 * more than its concurrency at once, so more threads would idle).
 */
final class HandlerExecutors {

    private static final Logger logger = LoggerFactory.getLogger(HandlerExecutors.class);

    private HandlerExecutors() {
    }

    static ExecutorService create(String engineName, EngineConfig config, int totalConcurrency) {
        if (config.virtualThreads()) {
            ExecutorService virtual = virtualThreadPerTask();
            if (virtual != null) {
                logger.debug("Engine '{}' runs handlers on virtual threads", engineName);
                return virtual;
            }
        }
        int threads = Math.max(1, Math.min(config.handlerThreads(), totalConcurrency));
        AtomicInteger count = new AtomicInteger();
        ThreadFactory factory = (runnable) -> {
            Thread thread = new Thread(runnable, "ackflow-" + engineName + "-handler-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        logger.debug("Engine '{}' runs handlers on {} platform threads", engineName, threads);
        return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()} on 21+, null before: the code is compiled for 17. */
    private static ExecutorService virtualThreadPerTask() {
        try {
            Method factory = java.util.concurrent.Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
            return (ExecutorService) factory.invoke(null);
        }
        catch (ReflectiveOperationException ex) {
            return null;
        }
    }

}
