package io.ackflow.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import io.ackflow.consumer.Ordering;

/**
 * Marks a bean method as a handler of every record of the given topics.
 * <p>
 * Every {@code @StreamListener} method of a topic receives every record of it; the record is
 * committed only when all of them are done with it. A method is done with a record when it
 * returns ({@code void}), or when the {@link java.util.concurrent.CompletionStage} or
 * {@link java.util.concurrent.CompletableFuture} it returns completes. Arguments follow
 * spring-messaging's conventions: the payload (a {@code String}, {@code byte[]}, or any class read
 * as JSON by the context's Jackson mapper), {@code @Header(KafkaHeaders.RECEIVED_KEY)} and the
 * other Kafka headers, and the {@link org.apache.kafka.clients.consumer.ConsumerRecord}.
 * <pre class="code">
 * &#64;StreamListener(topics = "orders")
 * void audit(Order order) { ... }
 *
 * &#64;StreamListener(topics = "${orders.topic}", ordering = Ordering.KEY, concurrency = 64)
 * CompletableFuture&lt;Void&gt; charge(Order order, &#64;Header(KafkaHeaders.RECEIVED_KEY) String customer) { ... }
 * </pre>
 * All methods of an application share one consumer: one group membership, one poll thread.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface StreamListener {

    /** Concurrency value that means "use {@code ackflow.concurrency}". */
    int DEFAULT_CONCURRENCY = -1;

    /**
     * Unique id of this handler, named in logs, metrics and errors. Defaults to
     * {@code beanName.methodName}.
     */
    String id() default "";

    /**
     * Topics to handle. Each entry may be a {@code ${...}} placeholder and may hold several
     * comma-separated names.
     */
    String[] topics();

    /**
     * Order in which this handler sees records; at most one value. Empty (the default) means
     * {@code ackflow.ordering}, itself {@link Ordering#PARTITION} unless set.
     */
    Ordering[] ordering() default {};

    /**
     * Most records this handler processes at once. {@link #DEFAULT_CONCURRENCY} (the default)
     * means {@code ackflow.concurrency}.
     */
    int concurrency() default DEFAULT_CONCURRENCY;

}
