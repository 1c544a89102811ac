package io.ackflow.sample;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

import io.ackflow.consumer.Ordering;
import io.ackflow.spring.StreamListener;

/**
 * Two independent handlers of every order: a fast audit log, and a slow charge step that runs
 * up to 32 customers at once, each customer's orders in order. An order is committed only when
 * both are done with it.
 * <p>
 * The charge step fails now and then, as payment calls do: about 3 % of calls time out (retried,
 * see {@code ackflow.listeners.charge.errors} in application.yml) and orders over the card limit
 * are declined (not retried, sent to {@code orders.DLT}).
 */
@Component
public class OrderHandlers {

    private static final Logger logger = LoggerFactory.getLogger(OrderHandlers.class);

    private final AtomicLong audited = new AtomicLong();

    private final AtomicLong charged = new AtomicLong();

    /** Orders above this many cents are declined. */
    static final long CARD_LIMIT_CENTS = 9_950;

    @StreamListener(id = "audit", topics = "${sample.topic:orders}")
    void audit(Order order) {
        this.audited.incrementAndGet();
        logger.debug("audit {}", order);
    }

    @StreamListener(id = "charge", topics = "${sample.topic:orders}", ordering = Ordering.KEY, concurrency = 32)
    CompletableFuture<Void> charge(Order order, @Header(KafkaHeaders.RECEIVED_KEY) String customer) {
        if (order.cents() > CARD_LIMIT_CENTS) {
            // Exception messages reach WARN logs: they say what went wrong, the log line names the record.
            throw new PaymentDeclinedException("the order is over the card limit");
        }
        // A payment call that takes 20-100 ms and completes on another thread.
        return CompletableFuture.runAsync(() -> {
            if (ThreadLocalRandom.current().nextInt(100) < 3) {
                throw new IllegalStateException("payment gateway timed out");
            }
            this.charged.incrementAndGet();
            logger.debug("charged {} cents to {} for {}", order.cents(), customer, order.id());
        }, CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextInt(20, 100), TimeUnit.MILLISECONDS));
    }

    /** Orders the audit handler has seen. */
    public long audited() {
        return this.audited.get();
    }

    /** Orders the charge handler has completed. */
    public long charged() {
        return this.charged.get();
    }

}
