package io.ackflow.sample;

import java.util.concurrent.atomic.AtomicLong;

import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Writes a few orders a second to {@code orders}, keyed by customer, so the sample has traffic.
 */
@Component
@EnableScheduling
class OrderGenerator {

    private final KafkaTemplate<String, String> template;

    private final AtomicLong sequence = new AtomicLong();

    OrderGenerator(KafkaTemplate<String, String> template) {
        this.template = template;
    }

    @Scheduled(fixedRateString = "${sample.order-every:200ms}")
    void send() {
        long n = this.sequence.incrementAndGet();
        this.template.send("orders", "customer-" + (n % 7), "order-" + n);
    }

}
