package io.ackflow.consumer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.FailedRecord;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record's key, value and headers never reach a log line at INFO or above, nor the message of
 * an exception the engine logs or reports: failures, retries, poison pills, dead-letter sends
 * that fail, stuck partitions and a STOP all name the record by {@code topic-partition@offset}
 * and the subscription. On MockConsumer with a clock the test moves and handlers on the test thread.
 */
class LogsNameCoordinatesTest {

    private static final String SECRET = "s3cr3t-4111111111111111";

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    private final List<Runnable> timers = new ArrayList<>();

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    private final Logger ackflowLogger = (Logger) LoggerFactory.getLogger("io.ackflow");

    private final PatternLayout layout = new PatternLayout();

    private Level previousLevel;

    @BeforeEach
    void captureLogs() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        this.layout.setContext(context);
        // The whole event as an appender would write it: message, exception, causes, suppressed.
        this.layout.setPattern("%level %logger %msg%n%ex{full}");
        this.layout.start();
        this.previousLevel = this.ackflowLogger.getLevel();
        this.ackflowLogger.setLevel(Level.DEBUG);
        this.logs.start();
        this.ackflowLogger.addAppender(this.logs);
    }

    @AfterEach
    void detachLogs() {
        this.ackflowLogger.detachAppender(this.logs);
        this.ackflowLogger.setLevel(this.previousLevel);
    }

    @Test
    void failuresRetriesPoisonPillsDeadLetterFailuresAndStuckPartitionsLogCoordinatesNeverContents() {
        int[] deadLetterSends = { 0 };
        List<FailedRecord> deadLettered = new ArrayList<>();
        AckflowEngine engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .retryScheduler((task, delay) -> this.timers.add(task))
            .config(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))
                .commitLivelockSoftTimeout(Duration.ofSeconds(60)).shutdownTimeout(Duration.ZERO).build())
            // Fails every time: retried once, then skipped.
            .subscription(Subscription.builder("refund").topics("orders")
                .errorPolicy(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 1)).build())
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    throw new IllegalStateException("refund service refused the order");
                }))
                .build())
            // A poison pill for a JSON reader whose error quotes the bytes, as Jackson's do.
            .subscription(Subscription.builder("audit").topics("orders")
                .valueDeserializer(quotingDeserializer())
                .handler(RecordHandler.<byte[], String>blocking((record) -> {
                }))
                .build())
            // Dead-lettered; the first send fails, the second goes through.
            .subscription(Subscription.builder("charge").topics("orders")
                .errorPolicy(ErrorPolicy.builder().recovery(Recovery.DEAD_LETTER)
                    .deadLetterRetryInterval(Duration.ofSeconds(1))
                    .deadLetterPublisher((failed) -> {
                        if (deadLetterSends[0]++ == 0) {
                            throw new KafkaException("Dead-letter publication to orders.DLT failed for: "
                                    + failed.coordinates());
                        }
                        deadLettered.add(failed);
                    })
                    .build())
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    throw new IllegalArgumentException("card declined");
                }))
                .build())
            // Never completes: its partition is reported stuck.
            .subscription(Subscription.builder("ship").topics("orders")
                .handler((record) -> new CompletableFuture<Void>())
                .build())
            .build();
        PollLoop loop = open(engine, 1);
        while (!this.timers.isEmpty()) {
            this.timers.remove(0).run();
            loop.runOnce();
        }
        this.clock.advance(Duration.ofSeconds(61));
        loop.runOnce();
        loop.requestStop();
        loop.shutdown();

        assertThat(engine.stats().retried()).as("refund retried once").isEqualTo(1);
        assertThat(engine.stats().deadLettered()).isEqualTo(1);
        assertThat(engine.stats().stuckPartitionReports()).isEqualTo(1);
        assertThat(deadLettered).singleElement().satisfies((failed) -> {
            assertThat(new String(failed.raw().value(), StandardCharsets.UTF_8)).as("the dead letter keeps the bytes")
                .contains(SECRET);
            assertThat(failed.toString()).doesNotContain(SECRET).contains("orders-0@0").contains("charge");
        });
        List<String> reported = atInfoOrAbove();
        assertThat(reported).anySatisfy((line) -> assertThat(line).startsWith("WARN")
            .contains("Subscription 'refund' failed after 2 attempt(s) on orders-0@0; skipped"));
        assertThat(reported).anySatisfy((line) -> assertThat(line).startsWith("WARN")
            .contains("Subscription 'audit' could not deserialize orders-0@0; skipped")
            .contains("Cannot deserialize the value of orders-0@0"));
        assertThat(reported).anySatisfy((line) -> assertThat(line).startsWith("WARN")
            .contains("Subscription 'charge': publishing orders-0@0 to its dead-letter topic failed"));
        assertThat(reported).anySatisfy((line) -> assertThat(line).startsWith("WARN")
            .contains("Subscription 'charge' failed after 1 attempt(s) on orders-0@0; published to its dead-letter topic"));
        assertThat(reported).anySatisfy((line) -> assertThat(line).startsWith("WARN")
            .contains("Partition orders-0 is stuck at offset 0").contains("[ship]"));
        assertThat(reported).allSatisfy((line) -> assertThat(line).doesNotContain(SECRET));
        assertThat(allAtDebug()).as("the deserializer's own words are kept at DEBUG")
            .anySatisfy((line) -> assertThat(line).contains("Unrecognized token"));
    }

    @Test
    void aStopOnAPoisonPillNamesTheRecordByItsCoordinatesOnly() {
        AckflowEngine engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).shutdownTimeout(Duration.ZERO).build())
            .subscription(Subscription.builder("ledger").topics("orders")
                .valueDeserializer(quotingDeserializer())
                .errorPolicy(ErrorPolicy.builder().recovery(Recovery.STOP).build())
                .handler(RecordHandler.<byte[], String>blocking((record) -> {
                }))
                .build())
            .build();
        PollLoop loop = open(engine, 1);
        assertThat(loop.stopRequested()).isTrue();
        loop.shutdown();

        assertThat(loop.failure()).hasMessageContaining("orders-0@0").hasMessageNotContaining(SECRET);
        assertThat(loop.failure().getCause()).as("the poison pill").isInstanceOf(RecordDeserializationException.class)
            .hasMessage("Cannot deserialize the value of orders-0@0 (" + SerializationException.class.getName() + ")");
        assertThat(loop.failure()).as("the deserializer's exception stays the root cause, for whoever debugs")
            .hasRootCauseInstanceOf(SerializationException.class);
        List<String> reported = atInfoOrAbove();
        assertThat(reported).anySatisfy((line) -> assertThat(line).startsWith("ERROR")
            .contains("Subscription 'ledger' could not deserialize orders-0@0; stopping the engine"));
        assertThat(reported).allSatisfy((line) -> assertThat(line).doesNotContain(SECRET));
    }

    @Test
    void aFailedCommitNamesEachPartitionWithItsOffsetOnly() {
        AckflowEngine engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))
                .shutdownTimeout(Duration.ZERO).build())
            .subscription(Subscription.builder("ledger").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                }))
                .build())
            .build();
        PollLoop loop = open(engine, 2);
        this.consumer.failNextAsyncCommit();
        this.clock.advance(Duration.ofSeconds(5));
        loop.runOnce();
        loop.requestStop();
        loop.shutdown();

        assertThat(engine.stats().commitFailures()).isEqualTo(1);
        assertThat(atInfoOrAbove()).anySatisfy((line) -> assertThat(line).startsWith("WARN")
            .contains("Commit of {orders-0=2} failed; it is retried at the next commit")
            .doesNotContain("OffsetAndMetadata"));
    }

    /** The engine's loop on P0, after one turn over {@code records} records that carry the secret. */
    private PollLoop open(AckflowEngine engine, int records) {
        PollLoop loop = engine.newLoop(this.consumer, Runnable::run);
        loop.subscribe();
        this.consumer.assignAtZero(P0);
        for (int offset = 0; offset < records; offset++) {
            this.consumer.addRecord(secretRecord(offset));
        }
        loop.runOnce();
        return loop;
    }

    /** The secret is in the key, the value and a header. */
    private static ConsumerRecord<byte[], byte[]> secretRecord(long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("authorization", ("Bearer " + SECRET).getBytes(StandardCharsets.UTF_8));
        return new ConsumerRecord<>("orders", 0, offset, 0L, TimestampType.CREATE_TIME, -1, -1,
                ("customer-" + SECRET).getBytes(StandardCharsets.UTF_8),
                ("{\"card\": " + SECRET + "}").getBytes(StandardCharsets.UTF_8), headers, java.util.Optional.empty());
    }

    /** Fails as Jackson does on a bad token: its message quotes the data. */
    private static Deserializer<String> quotingDeserializer() {
        return (topic, data) -> {
            String text = new String(data, StandardCharsets.UTF_8);
            throw new SerializationException("Unrecognized token '" + text.substring(text.indexOf(':') + 2)
                    + "': was expecting a JSON value");
        };
    }

    private List<String> atInfoOrAbove() {
        return this.logs.list.stream().filter((event) -> event.getLevel().isGreaterOrEqual(Level.INFO))
            .map(this.layout::doLayout).collect(Collectors.toList());
    }

    private List<String> allAtDebug() {
        return this.logs.list.stream().filter((event) -> event.getLevel() == Level.DEBUG)
            .map(this.layout::doLayout).collect(Collectors.toList());
    }

}
