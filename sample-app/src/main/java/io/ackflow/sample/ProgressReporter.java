package io.ackflow.sample;

import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.spring.StreamListenerRegistry;

/**
 * Logs a short progress line every few seconds: orders each handler finished, the charge step's
 * retries and dead letters, and the committed offsets.
 */
@Component
class ProgressReporter {

    private static final Logger logger = LoggerFactory.getLogger(ProgressReporter.class);

    private final OrderHandlers handlers;

    private final StreamListenerRegistry registry;

    ProgressReporter(OrderHandlers handlers, StreamListenerRegistry registry) {
        this.handlers = handlers;
        this.registry = registry;
    }

    @Scheduled(fixedRateString = "${sample.progress-every:5s}", initialDelayString = "${sample.progress-every:5s}")
    void report() {
        AckflowEngine engine = this.registry.getEngine();
        if (engine == null) {
            return;
        }
        Map<String, Long> committed = new TreeMap<>();
        for (Map.Entry<TopicPartition, Long> entry : engine.committedOffsets().entrySet()) {
            committed.put(entry.getKey().toString(), entry.getValue());
        }
        logger.info("audit handled {}, charge handled {} (retried {}, dead-lettered {}), committed {}",
                this.handlers.audited(), this.handlers.charged(), engine.stats().retried(),
                engine.stats().deadLettered(), committed);
    }

}
