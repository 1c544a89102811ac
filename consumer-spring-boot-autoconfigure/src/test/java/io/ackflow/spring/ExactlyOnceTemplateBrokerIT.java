package io.ackflow.spring;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.Crash;
import io.ackflow.consumer.testing.EmbeddedBroker;

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

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(PARTITIONS, IN, OUT, "rejects-in", "rejects-out",
            "rejects-in.DLT").transactional();

    static final Set<String> failedOnce = ConcurrentHashMap.newKeySet();

    static final AtomicInteger handled = new AtomicInteger();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withUserConfiguration(Transform.class);

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
                BrokerOffsets offsets = broker.offsets();
                Map<TopicPartition, Long> end = offsets.end(IN, PARTITIONS);
                await().atMost(Duration.ofSeconds(120)).until(() -> offsets.committedOffsets(GROUP).equals(end));
                // The crash shows at the instance's next client call.
                await().atMost(Duration.ofSeconds(30)).until(() -> engine.state() == EngineState.FAILED);
                System.out.printf("[template] transactions committed %d + %d, aborted %d + %d%n",
                        engine.stats().transactionsCommitted(), replacement.stats().transactionsCommitted(),
                        engine.stats().transactionsAborted(), replacement.stats().transactionsAborted());
            });
        });
        crash.closeLeaked();
        Map<String, Integer> seen = broker.readCommittedByKey(OUT, PARTITIONS);
        assertThat(failedOnce).hasSize(RECORDS / 100);
        assertThat(seen).hasSize(RECORDS);
        assertThat(seen).allSatisfy((input, count) -> assertThat(count).as("outputs of input %s", input).isEqualTo(1));
    }

    @Test
    void aDeadLetterIsPublishedInTheTransactionThatCommitsItsOffset() throws Exception {
        broker.produce(20,
                (i) -> new ProducerRecord<>("rejects-in", "k" + i, (i % 4 == 0) ? "reject-" + i : "ok-" + i));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<String> told = new CopyOnWriteArrayList<>();
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
            .withUserConfiguration(Rejecting.class)
            .withBean(SimpleMeterRegistry.class, () -> registry)
            .withBean("told", List.class, () -> told)
            .withPropertyValues("spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                    "spring.kafka.consumer.group-id=rejects", "spring.kafka.consumer.auto-offset-reset=earliest",
                    "spring.kafka.producer.transaction-id-prefix=tx-rejects-",
                    "ackflow.processing-guarantee=EXACTLY_ONCE", "ackflow.commit-interval=100ms",
                    "ackflow.errors.retry.attempts=2", "ackflow.errors.retry.delay=10ms", "ackflow.errors.recovery=DEAD_LETTER")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                BrokerOffsets offsets = broker.offsets();
                Map<TopicPartition, Long> end = offsets.end("rejects-in", PARTITIONS);
                await().atMost(Duration.ofSeconds(60)).until(() -> offsets.committedOffsets("rejects").equals(end));
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                // A dead letter sent in a transaction that another record's failure aborted is sent again.
                assertThat(engine.stats().deadLettered()).isGreaterThanOrEqualTo(5);
                assertThat(engineProducerMeters(registry)).as("the factory's Micrometer listener measures the engine's producer")
                    .isNotEmpty();
            });
        assertThat(engineProducerMeters(registry)).as("and lets go of it once it is closed").isEmpty();
        assertThat(told).as("a listener that throws on an added producer is told of its removal all the same, once")
            .containsExactly("added tx-rejects-ackflow-ackflow.1", "removed tx-rejects-ackflow-ackflow.1");
        Map<String, Integer> deadLetters = broker.readCommittedByKey("rejects-in.DLT", PARTITIONS);
        assertThat(deadLetters).containsOnlyKeys("k0", "k4", "k8", "k12", "k16").allSatisfy((key, count) -> assertThat(count)
            .as("dead letters of %s", key).isEqualTo(1));
        assertThat(broker.readCommittedByKey("rejects-out", PARTITIONS)).hasSize(15)
            .allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
    }

    /** Meters of the engine's producers that the factory's Micrometer listener added. */
    private static List<Meter> engineProducerMeters(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().filter((meter) -> meter.getId().getName().startsWith("kafka.producer."))
            .filter((meter) -> String.valueOf(meter.getId().getTag("spring.id")).startsWith("tx-rejects-ackflow-"))
            .toList();
    }

    private static String[] instance(String name) {
        return new String[] { "spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
            "spring.kafka.consumer.group-id=" + GROUP, "spring.kafka.consumer.auto-offset-reset=earliest",
            "spring.kafka.producer.transaction-id-prefix=tx-" + name + "-",
            "spring.kafka.producer.properties.transaction.timeout.ms=5000",
            "ackflow.processing-guarantee=EXACTLY_ONCE", "ackflow.commit-interval=100ms",
            "ackflow.errors.retry.attempts=5", "ackflow.errors.retry.delay=20ms" };
    }

    private static void produce() throws Exception {
        broker.produce(RECORDS, (i) -> new ProducerRecord<>(IN, "k" + (i % 64), Integer.toString(i)));
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
