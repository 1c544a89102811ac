package io.ackflow.sample;

import java.util.concurrent.atomic.AtomicLong;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps writing orders to the topic, as JSON, keyed by customer, so the sample has traffic.
 */
@Component
class OrderGenerator {

    private final KafkaTemplate<String, String> template;

    private final JsonMapper json;

    private final String topic;

    private final AtomicLong sequence = new AtomicLong();

    OrderGenerator(KafkaTemplate<String, String> template, JsonMapper json, @Value("${sample.topic:orders}") String topic) {
        this.template = template;
        this.json = json;
        this.topic = topic;
    }

    @Scheduled(fixedRateString = "${sample.order-every:50ms}")
    void send() {
        long n = this.sequence.incrementAndGet();
        String customer = "customer-" + (n % 20);
        Order order = new Order("order-" + n, customer, 100 + (n * 37) % 9900);
        this.template.send(this.topic, customer, this.json.writeValueAsString(order));
    }

}
