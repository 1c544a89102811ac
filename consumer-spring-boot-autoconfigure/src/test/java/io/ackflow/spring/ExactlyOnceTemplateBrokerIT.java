package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaConsumerFactoryCustomizer;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.MicrometerProducerListener;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.Crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ackflow.processing-guarantee=EXACTLY_ONCE} in a Spring Boot application: the handler
 * writes one output record per input through the application's own {@link KafkaTemplate}, and
 * fails on every hundredth input on its first attempt, after its send. A second instance joins
 * mid-run, then the first crashes (its clients refuse everything from then on; its consumer is
 * closed, its producer left with its transaction open). A {@code read_committed} reader of the
 * output sees each of the 10,000 inputs exactly once.
 */
class ExactlyOnceTemplateBrokerIT {

    private static final int RECORDS = 10_000;

    private static final int PARTITIONS = 4;

    private static final String IN = "template-in";

    private static final String OUT = "template-out";

    private static final String GROUP = "template-eos";

    private static EmbeddedKafkaKraftBroker broker;

    static final Set<String> failedOnce = ConcurrentHashMap.newKeySet();

    static final AtomicInteger handled = new AtomicInteger();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withUserConfiguration(Transform.class);

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, PARTITIONS, IN, OUT, "rejects-in", "rejects-out", "rejects-in.DLT");
        broker.brokerProperties(Map.of("transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
        broker.afterPropertiesSet();
        new BrokerOffsets(broker.getBrokersAsString()).awaitLeaders(IN, OUT, "rejects-in", "rejects-out", "rejects-in.DLT");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.destroy();
        }
    }

    @Test
    void eachInputIsSeenOnceDownstreamThroughFailuresAJoinAndACrash() throws Exception {
        produce();
        Crash crash = new Crash();
        this.contextRunner.withPropertyValues(instance("a")).withBean(Crash.class, () -> crash).run((first) -> {
            assertThat(first).hasNotFailed();
            AckflowEngine engine = first.getBean(StreamListenerRegistry.class).getEngine();
            await().atMost(Duration.ofSeconds(60)).until(() -> handled.get() >= 2_000);
            this.contextRunner.withPropertyValues(instance("b")).withBean(Crash.class, Crash::new).run((second) -> {
                assertThat(second).hasNotFailed();
                AckflowEngine replacement = second.getBean(StreamListenerRegistry.class).getEngine();
                await().atMost(Duration.ofSeconds(60)).until(() -> handled.get() >= 3_000
                        && !replacement.snapshot().partitions().isEmpty());
                crash.crash();
                Map<TopicPartition, Long> end = new BrokerOffsets(broker.getBrokersAsString()).end(IN, PARTITIONS);
                await().atMost(Duration.ofSeconds(120))
                    .until(() -> new BrokerOffsets(broker.getBrokersAsString()).committedOffsets(GROUP).equals(end));
                // The crash shows at the instance's next client call.
                await().atMost(Duration.ofSeconds(30)).until(() -> engine.state() == EngineState.FAILED);
                System.out.printf("[template] transactions committed %d + %d, aborted %d + %d%n",
                        engine.stats().transactionsCommitted(), replacement.stats().transactionsCommitted(),
                        engine.stats().transactionsAborted(), replacement.stats().transactionsAborted());
            });
        });
        crash.closeLeaked();
        Map<String, Integer> seen = readCommitted(OUT, PARTITIONS);
        assertThat(failedOnce).hasSize(RECORDS / 100);
        assertThat(seen).hasSize(RECORDS);
        assertThat(seen).allSatisfy((input, count) -> assertThat(count).as("outputs of input %s", input).isEqualTo(1));
    }

    @Test
    void aDeadLetterIsPublishedInTheTransactionThatCommitsItsOffset() throws Exception {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("rejects-in", "k" + i, (i % 4 == 0) ? "reject-" + i : "ok-" + i));
            }
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<String> told = new CopyOnWriteArrayList<>();
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
            .withUserConfiguration(Rejecting.class)
            .withBean(SimpleMeterRegistry.class, () -> registry)
            .withBean("told", List.class, () -> told)
            .withPropertyValues("spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                    "spring.kafka.consumer.group-id=rejects", "spring.kafka.consumer.auto-offset-reset=earliest",
                    "spring.kafka.producer.transaction-id-prefix=tx-rejects-",
                    "ackflow.processing-guarantee=EXACTLY_ONCE", "ackflow.commit-interval=100ms",
                    "ackflow.errors.retry.attempts=2", "ackflow.errors.retry.delay=10ms", "ackflow.errors.recovery=DEAD_LETTER")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                Map<TopicPartition, Long> end = new BrokerOffsets(broker.getBrokersAsString()).end("rejects-in", PARTITIONS);
                await().atMost(Duration.ofSeconds(60))
                    .until(() -> new BrokerOffsets(broker.getBrokersAsString()).committedOffsets("rejects").equals(end));
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                // A dead letter sent in a transaction that another record's failure aborted is sent again.
                assertThat(engine.stats().deadLettered()).isGreaterThanOrEqualTo(5);
                assertThat(engineProducerMeters(registry)).as("the factory's Micrometer listener measures the engine's producer")
                    .isNotEmpty();
            });
        assertThat(engineProducerMeters(registry)).as("and lets go of it once it is closed").isEmpty();
        assertThat(told).as("a listener that throws on an added producer is told of its removal all the same, once")
            .containsExactly("added tx-rejects-ackflow-ackflow.1", "removed tx-rejects-ackflow-ackflow.1");
        Map<String, Integer> deadLetters = readCommitted("rejects-in.DLT", PARTITIONS);
        assertThat(deadLetters).containsOnlyKeys("k0", "k4", "k8", "k12", "k16").allSatisfy((key, count) -> assertThat(count)
            .as("dead letters of %s", key).isEqualTo(1));
        assertThat(readCommitted("rejects-out", PARTITIONS)).hasSize(15).allSatisfy((key, count) -> assertThat(count)
            .isEqualTo(1));
    }

    /** Meters of the engine's producers that the factory's Micrometer listener added. */
    private static List<Meter> engineProducerMeters(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().filter((meter) -> meter.getId().getName().startsWith("kafka.producer."))
            .filter((meter) -> String.valueOf(meter.getId().getTag("spring.id")).startsWith("tx-rejects-ackflow-"))
            .toList();
    }

    private static String[] instance(String name) {
        return new String[] { "spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
            "spring.kafka.consumer.group-id=" + GROUP, "spring.kafka.consumer.auto-offset-reset=earliest",
            "spring.kafka.producer.transaction-id-prefix=tx-" + name + "-",
            "spring.kafka.producer.properties.transaction.timeout.ms=5000",
            "ackflow.processing-guarantee=EXACTLY_ONCE", "ackflow.commit-interval=100ms",
            "ackflow.errors.retry.attempts=5", "ackflow.errors.retry.delay=20ms" };
    }

    private static void produce() throws Exception {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(IN, "k" + (i % 64), Integer.toString(i)));
            }
            producer.flush();
        }
    }

    /** The records a {@code read_committed} reader sees, by key, once no transaction is open on the topic. */
    private static Map<String, Integer> readCommitted(String topic, int partitionCount) throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        Map<TopicPartition, Long> stable = new HashMap<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            stable.clear();
            stable.putAll(ends(partitions, IsolationLevel.READ_COMMITTED));
            return stable.equals(ends(partitions, IsolationLevel.READ_UNCOMMITTED));
        });
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                    seen.merge(record.key(), 1, Integer::sum);
                }
                return partitions.stream().allMatch((p) -> reader.position(p) >= stable.get(p));
            });
        }
        return seen;
    }

    private static Map<TopicPartition, Long> ends(List<TopicPartition> partitions, IsolationLevel isolation)
            throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()))) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            partitions.forEach((p) -> request.put(p, OffsetSpec.latest()));
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(request, new ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS)
                .forEach((p, info) -> ends.put(p, info.offset()));
            return ends;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Transform {

        @Bean
        Handler handler(KafkaTemplate<String, String> template) {
            return new Handler(template);
        }

        /** The instance's clients die with it: consumers through the consumer factory, producers through the producer factory. */
        @Bean
        @SuppressWarnings({ "unchecked", "rawtypes" })
        DefaultKafkaConsumerFactoryCustomizer crashableConsumers(Crash crash) {
            return (factory) -> ((org.springframework.kafka.core.DefaultKafkaConsumerFactory) factory).addPostProcessor(
                    (consumer) -> crash.wrap(Consumer.class, consumer, Set.of("close", "wakeup"), Set.of()));
        }

        @Bean
        @SuppressWarnings({ "unchecked", "rawtypes" })
        DefaultKafkaProducerFactoryCustomizer crashableProducers(Crash crash) {
            return (factory) -> ((org.springframework.kafka.core.DefaultKafkaProducerFactory) factory).addPostProcessor(
                    (producer) -> {
                        crash.leak((Producer<?, ?>) producer);
                        return crash.wrap(Producer.class, producer, Set.of(), Set.of("close"));
                    });
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class Rejecting {

        @Bean
        RejectingHandler rejectingHandler(KafkaTemplate<String, String> template) {
            return new RejectingHandler(template);
        }

        /**
         * Producer metrics as Spring Boot's Kafka metrics configuration adds them (a listener on
         * the factory), after a listener that records what it is told and fails on every producer added.
         */
        @Bean
        @SuppressWarnings({ "unchecked", "rawtypes" })
        DefaultKafkaProducerFactoryCustomizer producerListeners(SimpleMeterRegistry registry,
                @Qualifier("told") List<String> told) {
            return (factory) -> {
                ((org.springframework.kafka.core.DefaultKafkaProducerFactory) factory).addListener(new RefusingListener(told));
                factory.addListener(new MicrometerProducerListener<>(registry));
            };
        }

    }

    /** Records what it is told, and fails on every producer added. */
    static final class RefusingListener implements ProducerFactory.Listener<Object, Object> {

        private final List<String> told;

        RefusingListener(List<String> told) {
            this.told = told;
        }

        @Override
        public void producerAdded(String id, Producer<Object, Object> producer) {
            this.told.add("added " + id);
            throw new IllegalStateException("listener refuses " + id);
        }

        @Override
        public void producerRemoved(String id, Producer<Object, Object> producer) {
            this.told.add("removed " + id);
        }

    }

    /** Writes its input to rejects-out, and rejects every value that starts with "reject". */
    static class RejectingHandler {

        private final KafkaTemplate<String, String> template;

        RejectingHandler(KafkaTemplate<String, String> template) {
            this.template = template;
        }

        @StreamListener(id = "rejecting", topics = "rejects-in")
        void handle(ConsumerRecord<String, String> record) {
            this.template.send("rejects-out", record.key(), record.value());
            if (record.value().startsWith("reject")) {
                throw new IllegalArgumentException("Rejected after the output was sent");
            }
        }

    }

    static class Handler {

        private final KafkaTemplate<String, String> template;

        Handler(KafkaTemplate<String, String> template) {
            this.template = template;
        }

        @StreamListener(id = "transform", topics = IN, ordering = Ordering.KEY, concurrency = 16)
        void transform(ConsumerRecord<String, String> record) {
            this.template.send(OUT, record.value(), record.partition() + "-" + record.offset());
            if (Integer.parseInt(record.value()) % 100 == 7 && failedOnce.add(record.value())) {
                throw new IllegalStateException("Injected failure after the output was sent");
            }
            handled.incrementAndGet();
        }

    }

}
