package io.ackflow.spring;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Batch {@code @StreamListener} methods in a Spring Boot application against a real KRaft broker.
 * On {@code bulk}, a batch listener of at most 100 payloads with their key and offset header lists,
 * and a single-record listener on the same topic. On {@code ledger} (its partition 0), a batch listener of
 * ConsumerRecords that throws spring-kafka's {@link BatchListenerFailedException} at offset 37,
 * retried twice, then dead-lettered.
 */
@SpringBootTest(classes = BatchListenerBrokerIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=batch-it", "spring.kafka.consumer.auto-offset-reset=earliest",
            "ackflow.commit-interval=200ms", "ackflow.batch.max-wait=50ms",
            "ackflow.listeners.bulkInsert.batch.max-records=100",
            "ackflow.listeners.ledger.batch.max-records=100", "ackflow.listeners.ledger.batch.max-wait=1m",
            "ackflow.listeners.ledger.errors.recovery=dead-letter",
            "ackflow.listeners.ledger.errors.retry.attempts=3", "ackflow.listeners.ledger.errors.retry.delay=5ms" })
@DirtiesContext
class BatchListenerBrokerIT {

    private static final int BULK = 10_000;

    private static final int LEDGER = 100;

    private static final int FAILING = 37;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(4, "bulk", "ledger", "ledger.DLT");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private Handlers handlers;

    @Test
    void aBatchListenerAndARecordListenerOnOneTopicEachHandleEveryRecordOnceAndTheCommitsReachTheEnd()
            throws Exception {
        for (int n = 0; n < BULK; n++) {
            this.template.send("bulk", "key-" + n, Integer.toString(n));
        }
        this.template.flush();
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end("bulk", 4);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
            .until(() -> offsets.committedOffsets("batch-it").entrySet().containsAll(end.entrySet()));

        assertThat(this.handlers.inserted).hasSize(BULK).allSatisfy((n, count) -> assertThat(count).hasValue(1));
        assertThat(this.handlers.audited).hasSize(BULK).allSatisfy((n, count) -> assertThat(count).hasValue(1));
        assertThat(this.handlers.batchSizes).allSatisfy((size) -> assertThat(size).isBetween(1, 100));
        assertThat(this.handlers.batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(BULK);
        assertThat(this.handlers.headerMismatches).isEmpty();
    }

    @Test
    void aBatchListenerFailedExceptionAtIndex37DoesTheRecordsBeforeDeadLettersThatOneAndHandsTheRestOverAgain()
            throws Exception {
        for (int n = 0; n < LEDGER; n++) {
            this.template.send("ledger", 0, "row-" + n, Integer.toString(n));
        }
        this.template.flush();
        BrokerOffsets offsets = broker.offsets();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> Long.valueOf(LEDGER).equals(offsets.committedOffsets("batch-it").get(new TopicPartition("ledger", 0))));
        List<ConsumerRecord<byte[], byte[]>> deadLetters = TopicReader.readAll(broker.bootstrapServers(), "ledger.DLT", 1);

        assertThat(this.handlers.ledgerCalls).containsExactly(range(0, LEDGER), List.of((long) FAILING),
                List.of((long) FAILING), range(FAILING + 1, LEDGER));
        assertThat(this.handlers.written).hasSize(LEDGER - 1).allSatisfy((offset, count) -> assertThat(count).hasValue(1));
        assertThat(this.handlers.written).doesNotContainKey((long) FAILING);
        assertThat(deadLetters).singleElement().satisfies((letter) -> {
            assertThat(new String(letter.value())).isEqualTo(Integer.toString(FAILING));
            assertThat(ByteBuffer.wrap(letter.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET).value()).getLong())
                .isEqualTo(FAILING);
            assertThat(new String(letter.headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN).value()))
                .isEqualTo(IllegalStateException.class.getName());
        });
    }

    private static List<Long> range(long from, long to) {
        List<Long> offsets = new ArrayList<>();
        for (long offset = from; offset < to; offset++) {
            offsets.add(offset);
        }
        return offsets;
    }

    static class Handlers {

        final Map<Integer, AtomicInteger> inserted = new ConcurrentHashMap<>();

        final Map<Integer, AtomicInteger> audited = new ConcurrentHashMap<>();

        final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());

        final List<String> headerMismatches = Collections.synchronizedList(new ArrayList<>());

        final List<List<Long>> ledgerCalls = Collections.synchronizedList(new ArrayList<>());

        final Map<Long, AtomicInteger> written = new ConcurrentHashMap<>();

        @StreamListener(id = "bulkInsert", topics = "bulk")
        void insert(List<String> values, @Header(KafkaHeaders.RECEIVED_KEY) List<String> keys,
                @Header(KafkaHeaders.OFFSET) List<Long> offsets) {
            this.batchSizes.add(values.size());
            if (keys.size() != values.size() || offsets.size() != values.size()) {
                this.headerMismatches.add(values.size() + " values, " + keys.size() + " keys, " + offsets.size() + " offsets");
            }
            for (int i = 0; i < values.size(); i++) {
                if (!keys.get(i).equals("key-" + values.get(i))) {
                    this.headerMismatches.add(keys.get(i) + " for " + values.get(i));
                }
                this.inserted.computeIfAbsent(Integer.parseInt(values.get(i)), (n) -> new AtomicInteger()).incrementAndGet();
            }
        }

        @StreamListener(id = "bulkAudit", topics = "bulk")
        void audit(String value) {
            this.audited.computeIfAbsent(Integer.parseInt(value), (n) -> new AtomicInteger()).incrementAndGet();
        }

        @StreamListener(id = "ledger", topics = "ledger")
        void write(List<ConsumerRecord<String, String>> records) {
            this.ledgerCalls.add(records.stream().map(ConsumerRecord::offset).toList());
            for (int i = 0; i < records.size(); i++) {
                if (records.get(i).offset() == FAILING) {
                    throw new BatchListenerFailedException("row " + FAILING + " refused",
                            new IllegalStateException("row " + FAILING + " refused"), i);
                }
                this.written.computeIfAbsent(records.get(i).offset(), (n) -> new AtomicInteger()).incrementAndGet();
            }
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        Handlers handlers() {
            return new Handlers();
        }

    }

}
