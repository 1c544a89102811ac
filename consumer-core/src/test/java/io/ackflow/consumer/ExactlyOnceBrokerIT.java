package io.ackflow.consumer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.Crash;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Consume, transform, produce on a real broker, under each processing guarantee: 10,000 input
 * records, a handler that writes one output record per input (and then fails on every
 * hundredth input, on its first attempt only, after it sent its output), a second member that
 * joins mid-run, and the first member crashing mid-run: no more commits, its consumer closed,
 * its producer left with its transaction open as a killed process leaves it. A
 * {@code read_committed} reader of the output then sees, under exactly-once, each input exactly
 * once; under at-least-once, each input at least once, with the duplicates counted.
 */
class ExactlyOnceBrokerIT {

    private static final int RECORDS = 10_000;

    private static final int PARTITIONS = 4;

    private static final int FAIL_EVERY = 100;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(PARTITIONS, "in-exactly-once", "out-exactly-once",
            "in-at-least-once", "out-at-least-once").transactional();

    private final List<Member> members = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopMembers() throws InterruptedException {
        for (Member member : this.members) {
            member.engine.stop();
            member.crash.closeLeaked();
        }
    }

    @ParameterizedTest
    @EnumSource(ProcessingGuarantee.class)
    void oneOutputPerInputAcrossFailuresACrashAndAReplacement(ProcessingGuarantee guarantee) throws Exception {
        String tag = guarantee.name().toLowerCase().replace('_', '-');
        String in = "in-" + tag;
        String out = "out-" + tag;
        String group = "group-" + tag;
        produce(in);
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        AtomicInteger handled = new AtomicInteger();

        Member first = member("a", guarantee, in, out, group, failedOnce, handled);
        await().atMost(Duration.ofSeconds(60)).until(() -> handled.get() >= 2_000);
        Member second = member("b", guarantee, in, out, group, failedOnce, handled);
        await().atMost(Duration.ofSeconds(60)).until(() -> handled.get() >= 3_000
                && second.engine.snapshot().partitions().size() > 0);
        first.crash.crash();
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end(in, PARTITIONS);
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> offsets.committedOffsets(group).equals(end));
        }
        catch (org.awaitility.core.ConditionTimeoutException ex) {
            System.out.println("[diagnosis] committed " + offsets.committedOffsets(group) + " end " + end);
            System.out.println("[diagnosis] " + second.engine.stats() + " " + second.engine.snapshot());
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                if (thread.getName().contains("ackflow") || thread.getName().contains("producer")) {
                    System.out.println("[diagnosis] " + thread.getName() + " " + thread.getState());
                    for (StackTraceElement frame : stack) {
                        System.out.println("[diagnosis]     at " + frame);
                    }
                }
            });
            throw ex;
        }
        assertThat(second.engine.stop(Duration.ofSeconds(10))).isTrue();
        // The crash shows at the member's next client call.
        await().atMost(Duration.ofSeconds(30)).until(() -> first.engine.state() == EngineState.FAILED);

        Map<String, Integer> seen = broker.readCommittedByKey(out, PARTITIONS);
        assertThat(seen.keySet()).as("every input has its output").hasSize(RECORDS);
        assertThat(failedOnce).hasSize(RECORDS / FAIL_EVERY);
        int duplicates = seen.values().stream().mapToInt((count) -> count - 1).sum();
        long aborted = first.engine.stats().transactionsAborted() + second.engine.stats().transactionsAborted();
        long committed = first.engine.stats().transactionsCommitted() + second.engine.stats().transactionsCommitted();
        System.out.printf("[%s] inputs %d, outputs read %d, duplicates %d, transactions committed %d, aborted %d%n",
                guarantee, RECORDS, seen.values().stream().mapToInt(Integer::intValue).sum(), duplicates, committed,
                aborted);
        if (guarantee == ProcessingGuarantee.EXACTLY_ONCE) {
            assertThat(new TreeMap<>(seen)).as("outputs per input").allSatisfy((input, count) -> assertThat(count)
                .as("outputs of input %s", input).isEqualTo(1));
            // Failures of records in flight together end up in one abort.
            assertThat(aborted).as("injected failures abort transactions").isPositive();
        }
        else {
            assertThat(duplicates).as("a failed first attempt had sent its output").isGreaterThanOrEqualTo(RECORDS / FAIL_EVERY);
        }
    }

    /** A member of the group: an engine whose clients a {@link Crash} can kill. */
    private Member member(String name, ProcessingGuarantee guarantee, String in, String out, String group,
            Set<String> failedOnce, AtomicInteger handled) {
        Member member = new Member();
        boolean exactlyOnce = guarantee == ProcessingGuarantee.EXACTLY_ONCE;
        AtomicInteger producers = new AtomicInteger();
        if (!exactlyOnce) {
            member.current.set(producer(member, null));
        }
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name(group + "-" + name)
            .consumerFactory(() -> member.crash.wrap(Consumer.class, new KafkaConsumer<>(consumerProperties(group),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()), Set.of("close", "wakeup"), Set.of()))
            .config(EngineConfig.builder()
                .processingGuarantee(guarantee)
                .commitInterval(Duration.ofMillis(100))
                .rebalanceDrainTimeout(Duration.ofSeconds(5))
                .shutdownTimeout(Duration.ofSeconds(5))
                .build())
            .subscription(Subscription.builder("transform").topics(in).ordering(Ordering.KEY).concurrency(16)
                .errorPolicy(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofMillis(20), 5)).build())
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    String value = new String(record.value(), java.nio.charset.StandardCharsets.UTF_8);
                    ProducerRecord<String, String> output = new ProducerRecord<>(out, value,
                            record.partition() + "-" + record.offset());
                    if (exactlyOnce) {
                        member.current.get().send(output);
                    }
                    else {
                        member.current.get().send(output).get(30, TimeUnit.SECONDS);
                    }
                    if (Integer.parseInt(value) % FAIL_EVERY == 7 && failedOnce.add(value)) {
                        throw new IllegalStateException("Injected failure after the output was sent");
                    }
                    handled.incrementAndGet();
                }))
                .build());
        if (exactlyOnce) {
            builder.transactionalProducer(() -> producer(member, group + "-" + name + "-" + producers.incrementAndGet()));
        }
        member.engine = builder.build();
        this.members.add(member);
        member.engine.start();
        return member;
    }

    /** A producer, transactional when given an id; after a crash it refuses everything and is never closed. */
    private static Producer<String, String> producer(Member member, String transactionalId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 5_000);
        }
        KafkaProducer<String, String> real = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        if (transactionalId != null) {
            real.initTransactions();
        }
        member.crash.leak(real);
        @SuppressWarnings("unchecked")
        Producer<String, String> wrapped = member.crash.wrap(Producer.class, real, Set.of(), Set.of("close"));
        member.current.set(wrapped);
        return wrapped;
    }

    private static Map<String, Object> consumerProperties(String group) {
        Map<String, Object> props = broker.consumerProperties(group);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        return props;
    }

    private static void produce(String topic) throws Exception {
        broker.produce(RECORDS, (i) -> new ProducerRecord<>(topic, "k" + (i % 64), Integer.toString(i)));
    }

    private static final class Member {

        final Crash crash = new Crash();

        final AtomicReference<Producer<String, String>> current = new AtomicReference<>();

        volatile AckflowEngine engine;

    }

}
