package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.failure.DeadLetterPublisher;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.FailedRecord;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.failure.SubscriptionFailedException;
import io.ackflow.consumer.flow.PauseReason;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.testing.MutableTicker;
import io.ackflow.consumer.testing.ReadPast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The exactly-once engine step by step on kafka-clients' mocks: barriers, aborts and the reads
 * that follow them, retries and recoveries across aborts, fenced producers, rebalances and stops.
 * <p>
 * {@link GroupConsumer} plays the broker's side that {@link MockConsumer} lacks: a partition log
 * read again from wherever the engine seeks, and a group whose committed offsets are exactly
 * those of the transactions {@link TransactionalProducer} committed. Handlers run on the test
 * thread and send one output record per attempt ({@code partition@offset#attempt}) through the
 * producer the engine's supplier created last.
 */
class ExactlyOnceEngineTest {

    /** Moves 10 s at every read: a 30 s drain ends after a few looks, without waiting for it. */
    private static final MutableTicker DRAIN_PASSES = MutableTicker.steppingBy(Duration.ofSeconds(10));

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private final MutableClock clock = new MutableClock();

    private final GroupConsumer consumer = new GroupConsumer();

    private final List<TransactionalProducer> producers = new ArrayList<>();

    /** Each handler call, as {@code partition@offset}. */
    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();

    /** The stage of each attempt ({@code partition@offset#attempt}) that the test completes. */
    private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();

    private final List<FailedRecord> deadLetters = Collections.synchronizedList(new ArrayList<>());

    /** Whether an attempt ({@code partition@offset}, attempt number) fails after sending its output. */
    private BiPredicate<String, Integer> failing = (id, attempt) -> false;

    /** Whether an attempt returns a stage that the test completes, rather than a completed one. */
    private BiPredicate<String, Integer> holding = (id, attempt) -> false;

    private AckflowEngine engine;

    private PollLoop loop;

    @Test
    void barrierCommitsOnceEveryRecordIsAckedWithTheOffsetsAfterThem() {
        this.holding = (id, attempt) -> true;
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 3);
        append(P1, 2);
        this.loop.runOnce();
        assertThat(this.seen).containsExactlyInAnyOrder("0@0", "0@1", "0@2", "1@0", "1@1");
        complete("0@1", "1@0");

        tick(Duration.ofSeconds(5));
        assertThat(this.consumer.paused()).as("the barrier pauses every partition").containsExactlyInAnyOrder(P0, P1);
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.TRANSACTION);
        append(P0, 1);
        complete("0@2", "1@1");
        this.loop.runOnce();
        assertThat(producer().commitCount()).as("0@0 is still running").isZero();
        assertThat(producer().transactionInFlight()).isTrue();
        assertThat(this.seen).as("nothing is fetched during the barrier").doesNotContain("0@3");

        complete("0@0");
        this.loop.runOnce();
        assertThat(this.producers).hasSize(1);
        assertThat(producer().commitCount()).isEqualTo(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L, P1, 2L));
        assertThat(producer().consumerGroupOffsetsHistory()).singleElement()
            .satisfies((offsets) -> assertThat(offsets).containsOnlyKeys(this.consumer.groupMetadata().groupId()));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#1", "0@1#1", "0@2#1", "1@0#1", "1@1#1");
        assertThat(this.consumer.ownCommits()).as("offsets travel in the transaction only").isEmpty();
        assertThat(this.consumer.paused()).as("resumed after the commit").isEmpty();
        assertThat(this.loop.pauseReasons(P0)).isEmpty();
        assertThat(this.seen).as("the next transaction dispatches").endsWith("0@3");
        assertThat(producer().transactionInFlight()).isTrue();
        assertThat(this.engine.stats().transactionsCommitted()).isEqualTo(1);
    }

    @Test
    void theBarrierCommitsThePositionPastTheMarkerBehindTheLastRecord() {
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 3);
        this.consumer.appendUndelivered(P0, 1);
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 4L));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#1", "0@1#1", "0@2#1");
    }

    @Test
    void aPositionThatMovesWithNothingDispatchedIsCommittedInATransactionOfOffsetsOnly() {
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 2);
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L));

        // An aborted transaction of two records and its marker: the poll delivers nothing.
        this.consumer.appendUndelivered(P0, 3);
        this.loop.runOnce();
        assertThat(producer().transactionInFlight()).as("nothing dispatched, no transaction").isFalse();
        commitAtNextDeadline();
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L), Map.of(P0, 5L));
        assertThat(values(producer().history())).as("no output of its own").containsExactlyInAnyOrder("0@0#1", "0@1#1");
        assertThat(this.consumer.paused()).as("resumed after the commit").isEmpty();

        commitAtNextDeadline();
        assertThat(producer().commitCount()).as("nothing moved since").isEqualTo(2);

        this.consumer.appendUndelivered(P0, 1);
        this.loop.runOnce();
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> now = this.loop.commitNow();
        this.loop.runOnce();
        this.loop.runOnce();
        assertThat(now).isCompletedWithValue(Map.of(P0, new OffsetAndMetadata(6)));
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L), Map.of(P0, 5L), Map.of(P0, 6L));
        assertThat(this.producers).hasSize(1);
        assertThat(this.consumer.ownCommits()).as("offsets travel in transactions only").isEmpty();
        assertThat(this.engine.stats().transactionsCommitted()).isEqualTo(3);
    }

    @Test
    void handlerFailureAbortsItsTransactionAndEveryRecordOfItIsHandledAgainFromTheCommittedOffsets() {
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ZERO, 3)).build(), Ordering.UNORDERED,
                UnaryOperator.identity());
        append(P0, 2);
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L));

        this.failing = (id, attempt) -> id.equals("0@3") && attempt == 1;
        append(P0, 3);
        append(P1, 1);
        this.loop.runOnce();
        assertThat(values(producer().uncommittedRecords())).containsExactlyInAnyOrder("0@2#1", "0@3#1", "0@4#1",
                "1@0#1");

        this.loop.runOnce();
        assertThat(producer().abortedSends()).as("the failing attempt's output is aborted with its transaction")
            .containsExactly(Set.of("0@2#1", "0@3#1", "0@4#1", "1@0#1"));
        assertThat(this.consumer.seeks()).as("P0 from its committed offset, P1 (nothing committed) from its start")
            .containsExactlyInAnyOrder("orders-0@2", "orders-1@0");
        assertThat(values(producer().uncommittedRecords())).as("read again in the next transaction")
            .containsExactlyInAnyOrder("0@2#2", "0@3#2", "0@4#2", "1@0#2");
        commitAtNextDeadline();

        assertThat(this.producers).hasSize(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L), Map.of(P0, 5L, P1, 1L));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#1", "0@1#1", "0@2#2", "0@3#2", "0@4#2",
                "1@0#2");
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(
                Map.of("0@0", 1, "0@1", 1, "0@2", 2, "0@3", 2, "0@4", 2, "1@0", 2));
        assertThat(this.consumer.ownCommits()).isEmpty();
        assertThat(this.engine.stats().transactionsAborted()).isEqualTo(1);
        assertThat(this.engine.stats().transactionsCommitted()).isEqualTo(2);
        assertThat(this.engine.stats().retried()).isEqualTo(1);
    }

    @Test
    void retryBackOffKeepsTheFailedRecordsPartitionPausedWhileOtherPartitionsGoOn() {
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 3)).build(), Ordering.UNORDERED,
                UnaryOperator.identity());
        this.failing = (id, attempt) -> id.equals("0@1") && attempt == 1;
        append(P0, 3);
        append(P1, 1);
        this.loop.runOnce();

        this.loop.runOnce();
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.RETRY);
        assertThat(this.consumer.paused()).containsExactly(P0);
        assertThat(this.loop.pauseReasons(P1)).isEmpty();
        assertThat(times()).as("P1 is read again at once, P0 not yet")
            .containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 1, "0@1", 1, "0@2", 1, "1@0", 2));

        append(P1, 1);
        tick(Duration.ofMillis(999));
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.RETRY);
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 1, "0@1", 1, "0@2", 1, "1@0", 2, "1@1", 1));

        tick(Duration.ofMillis(1));
        assertThat(this.loop.pauseReasons(P0)).isEmpty();
        assertThat(times()).as("the back-off is over: P0 is read again")
            .containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 2, "0@1", 2, "0@2", 2, "1@0", 2, "1@1", 1));
        commitAtNextDeadline();
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L, P1, 2L));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#2", "0@1#2", "0@2#2", "1@0#2", "1@1#1");
    }

    @Test
    void aBackOffThatEndsAsAnotherAbortRewindsDoesNotLeaveItsPartitionPaused() {
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 3)).build(), Ordering.UNORDERED,
                UnaryOperator.identity());
        this.failing = (id, attempt) -> (id.equals("0@1") || id.equals("1@1")) && attempt == 1;
        append(P0, 3);
        append(P1, 1);
        this.loop.runOnce();
        this.loop.runOnce();
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.RETRY);

        append(P1, 1);
        tick(Duration.ofMillis(999));
        assertThat(times()).as("1@1 failed in the open transaction").containsEntry("1@1", 1);
        // The second abort rewinds at the very moment P0's back-off ends.
        tick(Duration.ofMillis(1));
        this.loop.runOnce();
        assertThat(this.loop.pauseReasons(P0)).isEmpty();
        assertThat(this.consumer.paused()).doesNotContain(P0);
        assertThat(times()).as("P0 is read again once its back-off is over").containsEntry("0@1", 2);
    }

    @Test
    void exhaustedRetriesSkipTheRecordWhenReadAgainWithoutCallingTheHandler() {
        start(ErrorPolicy.builder().recovery(Recovery.SKIP).build(), Ordering.PARTITION, UnaryOperator.identity());
        this.failing = (id, attempt) -> id.equals("0@1");
        append(P0, 3);
        this.loop.runOnce();
        this.loop.runOnce();
        commitAtNextDeadline();

        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 2, "0@1", 1, "0@2", 2));
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#2", "0@2#2");
        assertThat(producer().abortedSends()).containsExactly(Set.of("0@0#1", "0@1#1", "0@2#1"));
        assertThat(this.engine.stats().failed()).isEqualTo(1);
    }

    @Test
    void aFailedDeadLetterSendAbortsTheTransactionAndIsSentAgainWhenTheRecordIsReadAgain() {
        AtomicInteger sends = new AtomicInteger();
        DeadLetterPublisher publisher = (failed) -> {
            if (sends.incrementAndGet() == 1) {
                // The send that fails may already be in the transaction's batch.
                producer().send(new ProducerRecord<>("orders.DLT", failed.coordinates(), "dead " + failed.coordinates()));
                throw new IllegalStateException("dead-letter topic unavailable");
            }
            producer().send(new ProducerRecord<>("orders.DLT", failed.coordinates(), "dead " + failed.coordinates()));
        };
        start(ErrorPolicy.builder().recovery(Recovery.DEAD_LETTER).deadLetterPublisher(publisher)
            .deadLetterRetryInterval(Duration.ofMillis(500)).build(), Ordering.PARTITION, UnaryOperator.identity());
        this.failing = (id, attempt) -> id.equals("0@1");
        append(P0, 3);
        this.loop.runOnce();
        this.loop.runOnce();
        this.loop.runOnce();
        assertThat(sends).as("the first send failed").hasValue(1);
        assertThat(this.loop.pauseReasons(P0)).as("read again after the retry interval").containsExactly(PauseReason.RETRY);

        tick(Duration.ofMillis(500));
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(sends).hasValue(2);
        assertThat(times()).as("the handler is not called again for the dead-lettered record").containsEntry("0@1", 1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L));
        assertThat(values(producer().history())).as("one dead letter is committed, not two")
            .containsOnlyOnce("dead orders-0@1");
    }

    @Test
    void aSeekAbortsTheOpenTransactionSoNoOutputOfTheRecordsSoughtAwayFromCommits() {
        start(ErrorPolicy.DEFAULT, Ordering.PARTITION, UnaryOperator.identity());
        append(P0, 5);
        this.loop.runOnce();
        assertThat(times()).hasSize(5);
        CompletableFuture<Void> sought = this.loop.controls().seek(P0, 2);
        this.loop.runOnce();
        assertThat(sought).isCompleted();
        commitAtNextDeadline();
        assertThat(producer().abortedSends()).containsExactly(Set.of("0@0#1", "0@1#1", "0@2#1", "0@3#1", "0@4#1"));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@2#2", "0@3#2", "0@4#2");
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 5L));
    }

    @Test
    void exhaustedRetriesDeadLetterTheRecordOnceInsideTheOpenTransaction() {
        List<Boolean> inTransaction = new ArrayList<>();
        DeadLetterPublisher publisher = (failed) -> {
            inTransaction.add(producer().transactionInFlight());
            this.deadLetters.add(failed);
            producer().send(new ProducerRecord<>("orders.DLT", failed.coordinates(), "dead " + failed.coordinates()));
        };
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ZERO, 1)).recovery(Recovery.DEAD_LETTER)
            .deadLetterPublisher(publisher).build(), Ordering.PARTITION, UnaryOperator.identity());
        this.failing = (id, attempt) -> id.equals("0@1");
        append(P0, 3);
        this.loop.runOnce();
        this.loop.runOnce();
        this.loop.runOnce();
        commitAtNextDeadline();

        assertThat(times()).as("one retry, then the recovery").containsExactlyInAnyOrderEntriesOf(
                Map.of("0@0", 3, "0@1", 2, "0@2", 3));
        assertThat(this.deadLetters).singleElement().satisfies((failed) -> {
            assertThat(failed.coordinates()).isEqualTo("orders-0@1");
            assertThat(failed.attempts()).isEqualTo(2);
            assertThat(failed.cause()).hasMessage("enrichment refused 0@1");
        });
        assertThat(inTransaction).containsExactly(true);
        assertThat(producer().abortedSends()).hasSize(2);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#3", "dead orders-0@1", "0@2#3");
        assertThat(this.engine.stats().deadLettered()).isEqualTo(1);
    }

    @Test
    void exhaustedRetriesWithStopStopTheEngineAndAbortTheTransaction() {
        start(ErrorPolicy.builder().recovery(Recovery.STOP).build(), Ordering.PARTITION, UnaryOperator.identity());
        this.failing = (id, attempt) -> id.equals("0@1");
        append(P0, 3);
        this.loop.runOnce();
        this.loop.runOnce();
        assertThat(this.loop.stopRequested()).isTrue();
        this.loop.shutdown();

        assertThat(this.loop.failure()).isInstanceOf(SubscriptionFailedException.class).hasMessageContaining("orders-0@1");
        assertThat(times()).as("0@1 gets its recovery when read again, 0@2 is not started after it")
            .containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 2, "0@1", 1, "0@2", 1));
        assertThat(producer().commitCount()).isZero();
        assertThat(producer().abortedSends()).containsExactly(Set.of("0@0#1", "0@1#1", "0@2#1"), Set.of("0@0#2"));
        assertThat(producer().history()).isEmpty();
        assertThat(producer().closed()).isTrue();
        assertThat(this.consumer.closed()).isTrue();
        assertThat(this.consumer.ownCommits()).isEmpty();
    }

    @Test
    void poisonPillIsDeadLetteredInTheOpenTransactionWithoutAnAbort() {
        DeadLetterPublisher publisher = (failed) -> {
            this.deadLetters.add(failed);
            producer().send(new ProducerRecord<>("orders.DLT", failed.coordinates(), "dead " + failed.coordinates()));
        };
        Deserializer<String> strict = (topic, data) -> {
            String value = new String(data);
            if (value.equals("v1")) {
                throw new SerializationException("not an order");
            }
            return value;
        };
        this.engine = builder(UnaryOperator.identity())
            .subscription(Subscription.builder("enrich").topics("orders").valueDeserializer(strict)
                .errorPolicy(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ZERO, 3))
                    .recovery(Recovery.DEAD_LETTER).deadLetterPublisher(publisher).build())
                .handler((record) -> {
                    handle(record.partition() + "@" + record.offset());
                    return CompletableFuture.completedFuture(null);
                })
                .build())
            .build();
        open();
        append(P0, 3);
        this.loop.runOnce();
        commitAtNextDeadline();

        assertThat(this.seen).containsExactly("0@0", "0@2");
        assertThat(this.deadLetters).singleElement().satisfies((failed) -> {
            assertThat(failed.coordinates()).isEqualTo("orders-0@1");
            assertThat(failed.cause()).isInstanceOf(SerializationException.class);
        });
        assertThat(producer().abortedSends()).isEmpty();
        assertThat(producer().commitCount()).isEqualTo(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L));
        assertThat(values(producer().history())).containsExactly("0@0#1", "dead orders-0@1", "0@2#1");
        assertThat(this.consumer.seeks()).isEmpty();
        assertThat(this.engine.stats().transactionsAborted()).isZero();
    }

    @Test
    void fencedProducerIsReplacedAndTheRecordsAreReadAgainFromTheCommittedOffsets() {
        start(ErrorPolicy.DEFAULT, Ordering.PARTITION, UnaryOperator.identity());
        append(P0, 2);
        this.loop.runOnce();
        commitAtNextDeadline();
        append(P0, 2);
        this.loop.runOnce();
        TransactionalProducer fenced = producer();
        fenced.fenceProducer();

        commitAtNextDeadline();
        assertThat(fenced.closed()).isTrue();
        assertThat(this.producers).as("a new producer for the next transaction").hasSize(2);
        assertThat(this.consumer.seeks()).as("P0 from its committed offset, P1 (nothing committed) from its start")
            .containsExactlyInAnyOrder("orders-0@2", "orders-1@0");
        commitAtNextDeadline();

        assertThat(fenced.commitCount()).isEqualTo(1);
        assertThat(groupOffsets(fenced)).containsExactly(Map.of(P0, 2L));
        assertThat(values(fenced.history())).containsExactly("0@0#1", "0@1#1");
        assertThat(producer().commitCount()).isEqualTo(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 4L));
        assertThat(values(producer().history())).containsExactly("0@2#2", "0@3#2");
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 1, "0@1", 1, "0@2", 2, "0@3", 2));
        assertThat(this.engine.stats().commitFailures()).isEqualTo(1);
    }

    @Test
    void commitsThatKeepFailingWaitLongerBeforeEachReadingAgainUntilOneSucceeds() {
        start(ErrorPolicy.DEFAULT, Ordering.PARTITION, UnaryOperator.identity());
        append(P0, 2);
        this.loop.runOnce();
        // An output send that failed after its handler returned: the commit fails, no record is to blame.
        producer().commitTransactionException = new KafkaException("output topic refused the batch");

        commitAtNextDeadline();
        assertThat(this.loop.pauseReasons(P0)).as("a first failure reads again at once").isEmpty();
        this.loop.runOnce();
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 2, "0@1", 2));

        commitAtNextDeadline();
        assertThat(this.loop.pauseReasons(P0)).as("the second in a row waits a second").containsExactly(PauseReason.RETRY);
        assertThat(this.loop.pauseReasons(P1)).containsExactly(PauseReason.RETRY);
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P0, P1);
        tick(Duration.ofMillis(999));
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 2, "0@1", 2));
        tick(Duration.ofMillis(1));
        assertThat(this.consumer.paused()).isEmpty();
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 3, "0@1", 3));

        commitAtNextDeadline();
        assertThat(this.loop.pauseReasons(P0)).as("the third waits two").containsExactly(PauseReason.RETRY);
        tick(Duration.ofMillis(1999));
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 3, "0@1", 3));
        producer().commitTransactionException = null;
        tick(Duration.ofMillis(1));
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 4, "0@1", 4));

        commitAtNextDeadline();
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L));
        assertThat(values(producer().history())).containsExactly("0@0#4", "0@1#4");
        assertThat(this.engine.stats().commitFailures()).isEqualTo(3);
        assertThat(this.producers).as("an abort, not a replacement").hasSize(1);

        append(P0, 1);
        this.loop.runOnce();
        producer().commitTransactionException = new KafkaException("output topic refused the batch");
        commitAtNextDeadline();
        assertThat(this.loop.pauseReasons(P0)).as("a success starts the count again").isEmpty();
    }

    @Test
    void aPartitionAssignedAgainDuringTheCommitBackOffWaitsWithTheOthers() {
        start(ErrorPolicy.DEFAULT, Ordering.PARTITION, UnaryOperator.identity());
        append(P0, 2);
        append(P1, 2);
        this.loop.runOnce();
        producer().commitTransactionException = new KafkaException("output topic refused the batch");
        commitAtNextDeadline();
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(this.loop.pauseReasons(P1)).containsExactly(PauseReason.RETRY);
        producer().commitTransactionException = null;

        // An eager rebalance takes every partition away and gives them back.
        this.consumer.rebalance(List.of());
        this.consumer.rebalance(List.of(P0, P1));
        assertThat(this.loop.pauseReasons(P0)).as("assigned during the back-off").containsExactly(PauseReason.RETRY);
        assertThat(this.loop.pauseReasons(P1)).containsExactly(PauseReason.RETRY);
        tick(Duration.ofMillis(999));
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 2, "0@1", 2, "1@0", 2, "1@1", 2));
        tick(Duration.ofMillis(1));
        assertThat(this.loop.pauseReasons(P1)).isEmpty();
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 3, "0@1", 3, "1@0", 3, "1@1", 3));
    }

    @Test
    void commitsRefusedForTheGroupsGenerationDoNotBackOff() {
        start(ErrorPolicy.DEFAULT, Ordering.PARTITION, UnaryOperator.identity());
        append(P0, 2);
        this.loop.runOnce();
        producer().commitTransactionException = new CommitFailedException("the group has rebalanced");
        commitAtNextDeadline();
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(this.loop.pauseReasons(P0)).as("a rebalance, not a lasting cause").isEmpty();
        this.loop.runOnce();
        assertThat(times()).containsExactlyInAnyOrderEntriesOf(Map.of("0@0", 3, "0@1", 3));
        assertThat(this.engine.stats().commitFailures()).isEqualTo(2);
    }

    @Test
    void revokeCommitsTheTransactionWhenEveryRecordIsAcked() {
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 3);
        append(P1, 2);
        this.loop.runOnce();

        this.consumer.rebalance(List.of(P1));

        assertThat(producer().commitCount()).isEqualTo(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L, P1, 2L));
        assertThat(values(producer().history())).containsExactlyInAnyOrder("0@0#1", "0@1#1", "0@2#1", "1@0#1", "1@1#1");
        assertThat(producer().transactionInFlight()).isFalse();
        assertThat(this.consumer.paused()).as("the partition kept is fetched again").isEmpty();
        assertThat(this.consumer.ownCommits()).isEmpty();
    }

    @Test
    void lostPartitionsAbortTheTransactionAndTheKeptOnesAreReadAgain() {
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 3);
        append(P1, 2);
        this.loop.runOnce();

        this.consumer.rebalanceListener().onPartitionsLost(List.of(P0));

        assertThat(producer().commitCount()).isZero();
        assertThat(producer().abortedSends()).containsExactly(Set.of("0@0#1", "0@1#1", "0@2#1", "1@0#1", "1@1#1"));
        assertThat(this.consumer.seeks()).containsExactly("orders-1@0");
        assertThat(producer().history()).isEmpty();
    }

    @Test
    void stopCommitsTheTransactionWhenEveryRecordIsAcked() {
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 3);
        this.loop.runOnce();

        this.loop.requestStop();
        this.loop.shutdown();

        assertThat(producer().commitCount()).isEqualTo(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 3L));
        assertThat(values(producer().history())).containsExactly("0@0#1", "0@1#1", "0@2#1");
        assertThat(producer().abortedSends()).isEmpty();
        assertThat(producer().closed()).isTrue();
        assertThat(this.consumer.closed()).isTrue();
        assertThat(this.consumer.ownCommits()).isEmpty();
        assertThat(this.loop.failure()).isNull();
    }

    @Test
    void stopAbortsTheTransactionWhenAFailureIsPending() {
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ZERO, 3)).build(), Ordering.UNORDERED,
                UnaryOperator.identity());
        this.failing = (id, attempt) -> id.equals("0@1");
        append(P0, 3);
        this.loop.runOnce();

        this.loop.requestStop();
        this.loop.shutdown();

        assertThat(producer().commitCount()).isZero();
        assertThat(producer().abortedSends()).containsExactly(Set.of("0@0#1", "0@1#1", "0@2#1"));
        assertThat(producer().history()).isEmpty();
        assertThat(producer().closed()).isTrue();
        assertThat(this.consumer.closed()).isTrue();
        assertThat(this.consumer.ownCommits()).isEmpty();
        assertThat(this.loop.failure()).as("a failure with retries left does not fail the engine").isNull();
    }

    @Test
    void commitNowCompletesWithTheOffsetsOfTheBarrierCommit() {
        this.holding = (id, attempt) -> true;
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> idle = this.loop.commitNow();
        this.loop.runOnce();
        assertThat(idle).as("no transaction open").isCompletedWithValue(Map.of());

        append(P0, 2);
        append(P1, 1);
        this.loop.runOnce();
        complete("0@0", "1@0");
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> committed = this.loop.commitNow();
        this.loop.runOnce();
        assertThat(committed).as("0@1 is still running").isNotDone();
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P0, P1);

        complete("0@1");
        this.loop.runOnce();
        assertThat(committed).isDone();
        assertThat(offsets(committed.join())).isEqualTo(Map.of(P0, 2L, P1, 1L));
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L, P1, 1L));
        assertThat(this.consumer.ownCommits()).isEmpty();
    }

    @Test
    void revokeAbortsWhenARecordOutlastsTheDrainTimeoutAndTheKeptPartitionsAreReadAgain() {
        this.holding = (id, attempt) -> id.equals("1@0") && attempt == 1;
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)).ticker(DRAIN_PASSES));
        append(P0, 2);
        append(P1, 1);
        this.loop.runOnce();
        TransactionalProducer first = producer();

        this.consumer.rebalance(List.of(P1));

        assertThat(first.commitCount()).isZero();
        assertThat(first.closed()).as("a handler of its transaction still runs: the producer is closed").isTrue();
        assertThat(this.consumer.seeks()).containsExactly("orders-1@0");
        complete("1@0");
        assertThat(this.engine.stats().lateAcks()).isEqualTo(1);
        this.loop.runOnce();
        commitAtNextDeadline();
        assertThat(this.producers).hasSize(2);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P1, 1L));
        assertThat(values(producer().history())).containsExactly("1@0#2");
    }

    @Test
    void revokeCommitsWhenTheLastRecordFinishesWithinTheDrainTimeout() {
        this.holding = (id, attempt) -> id.equals("0@1");
        start(ErrorPolicy.DEFAULT, Ordering.UNORDERED, UnaryOperator.identity());
        append(P0, 2);
        append(P1, 1);
        this.loop.runOnce();
        this.pending.get("0@1#1").completeAsync(() -> null, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));

        this.consumer.rebalance(List.of(P1));

        assertThat(producer().commitCount()).isEqualTo(1);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L, P1, 1L));
        assertThat(producer().abortedSends()).isEmpty();
    }

    @Test
    void failureOfAHandlerThatOutlivedItsAbortedTransactionDoesNotRecoverTheRecordWhenReadAgain() {
        // 0@0 fails at once; 0@1's first attempt is still running when the abort gives up waiting
        // for it, and fails only after its record was read again and handled successfully.
        this.failing = (id, attempt) -> id.equals("0@0") && attempt == 1;
        this.holding = (id, attempt) -> id.equals("0@1") && attempt == 1;
        start(ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ZERO, 3)).recovery(Recovery.SKIP).build(),
                Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)).ticker(DRAIN_PASSES));
        append(P0, 2);
        this.loop.runOnce();
        TransactionalProducer first = producer();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (this.producers.size() < 2 && System.nanoTime() < giveUp) {
            this.loop.runOnce();
        }
        assertThat(first.closed()).as("0@1 outlived the abort: the producer is closed").isTrue();
        assertThat(values(producer().uncommittedRecords())).containsExactlyInAnyOrder("0@0#2", "0@1#2");

        this.pending.get("0@1#1").completeExceptionally(new IllegalStateException("late refusal"));
        commitAtNextDeadline();
        this.loop.runOnce();
        commitAtNextDeadline();

        assertThat(this.engine.stats().failed()).as("no recovery: 0@1 had retries left, and succeeded").isZero();
        assertThat(this.producers).hasSize(2);
        assertThat(groupOffsets(producer())).containsExactly(Map.of(P0, 2L));
        assertThat(values(producer().history())).as("each record's effect committed once")
            .hasSize(2).anyMatch((value) -> value.startsWith("0@0#")).anyMatch((value) -> value.startsWith("0@1#"));
    }

    @Test
    void exactlyOnceWithoutATransactionalProducerIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> AckflowEngine.builder().name("ledger").consumerFactory(() -> this.consumer)
                .config(EngineConfig.builder().processingGuarantee(ProcessingGuarantee.EXACTLY_ONCE).build())
                .subscription(Subscription.builder("enrich").topics("orders").handler((record) -> null).build())
                .build())
            .withMessage("Engine 'ledger': processingGuarantee EXACTLY_ONCE needs a transactionalProducer to commit"
                    + " offsets in its transactions");
    }

    @Test
    void aTransactionalProducerWithoutExactlyOnceIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> AckflowEngine.builder().name("ledger").consumerFactory(() -> this.consumer)
                .transactionalProducer(this::newProducer)
                .config(EngineConfig.builder().build())
                .subscription(Subscription.builder("enrich").topics("orders").handler((record) -> null).build())
                .build())
            .withMessage("Engine 'ledger': a transactionalProducer is set, but the processingGuarantee is AT_LEAST_ONCE;"
                    + " set it to EXACTLY_ONCE for offsets to be committed in its transactions");
        assertThat(this.producers).as("the supplier is not called").isEmpty();
    }

    private void start(ErrorPolicy policy, Ordering ordering, UnaryOperator<EngineConfig.Builder> config) {
        Subscription.Builder<byte[], byte[]> subscription = Subscription.builder("enrich").topics("orders")
            .ordering(ordering).errorPolicy(policy).handler((record) -> {
                String id = record.partition() + "@" + record.offset();
                int attempt = handle(id);
                if (!this.holding.test(id, attempt)) {
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<Void> stage = new CompletableFuture<>();
                this.pending.put(id + "#" + attempt, stage);
                return stage;
            });
        if (ordering == Ordering.UNORDERED) {
            subscription.concurrency(10);
        }
        this.engine = builder(config).subscription(subscription.build()).build();
        open();
    }

    /** One attempt: sends its output in the open transaction, then fails if the test says so. */
    private int handle(String id) {
        int attempt = this.attempts.merge(id, 1, Integer::sum);
        this.seen.add(id);
        producer().send(new ProducerRecord<>("enriched", id, id + "#" + attempt));
        if (this.failing.test(id, attempt)) {
            throw new IllegalStateException("enrichment refused " + id);
        }
        return attempt;
    }

    private AckflowEngine.Builder builder(UnaryOperator<EngineConfig.Builder> config) {
        return AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .transactionalProducer(this::newProducer)
            .config(config.apply(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))
                .processingGuarantee(ProcessingGuarantee.EXACTLY_ONCE).shutdownTimeout(Duration.ofSeconds(5))
                .rebalanceDrainTimeout(Duration.ofSeconds(5))).build());
    }

    private void open() {
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
        this.consumer.forgetSeeks();
    }

    private TransactionalProducer newProducer() {
        TransactionalProducer producer = new TransactionalProducer();
        producer.initTransactions();
        this.producers.add(producer);
        return producer;
    }

    /** The producer of the open transaction: the one the supplier created last. */
    private TransactionalProducer producer() {
        return this.producers.get(this.producers.size() - 1);
    }

    /** Appends {@code count} records to the partition's log. */
    private void append(TopicPartition partition, int count) {
        for (int i = 0; i < count; i++) {
            this.consumer.append(partition);
        }
    }

    private void complete(String... ids) {
        for (String id : ids) {
            this.pending.get(id + "#" + this.attempts.get(id)).complete(null);
        }
    }

    private void tick(Duration duration) {
        this.clock.advance(duration);
        this.loop.runOnce();
    }

    /** Moves the clock to the commit deadline: one turn reaches the barrier, the next commits. */
    private void commitAtNextDeadline() {
        tick(Duration.ofSeconds(5));
        this.loop.runOnce();
    }

    /** How many times the handler saw each record. */
    private Map<String, Integer> times() {
        synchronized (this.seen) {
            return this.seen.stream().collect(Collectors.toMap((id) -> id, (id) -> 1, Integer::sum, TreeMap::new));
        }
    }

    /** The offsets each committed transaction of {@code producer} sent for the consumer's group. */
    private List<Map<TopicPartition, Long>> groupOffsets(MockProducer<String, String> producer) {
        String group = this.consumer.groupMetadata().groupId();
        return producer.consumerGroupOffsetsHistory().stream().map((byGroup) -> offsets(byGroup.get(group))).toList();
    }

    private static Map<TopicPartition, Long> offsets(Map<TopicPartition, OffsetAndMetadata> offsets) {
        return offsets.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, (e) -> e.getValue().offset()));
    }

    private static List<String> values(List<ProducerRecord<String, String>> records) {
        return records.stream().map(ProducerRecord::value).toList();
    }

    /**
     * A transactional {@link MockProducer} whose committed offsets become the group's, as the
     * broker's transaction coordinator makes them, and which remembers what each abort dropped.
     */
    private final class TransactionalProducer extends MockProducer<String, String> {

        private final List<Set<String>> abortedSends = new ArrayList<>();

        TransactionalProducer() {
            super(true, null, new StringSerializer(), new StringSerializer());
        }

        @Override
        public void commitTransaction() {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(
                    uncommittedOffsets().getOrDefault(ExactlyOnceEngineTest.this.consumer.groupMetadata().groupId(),
                            Map.of()));
            super.commitTransaction();
            ExactlyOnceEngineTest.this.consumer.committedByTransaction(offsets);
        }

        @Override
        public void abortTransaction() {
            Set<String> dropped = Set.copyOf(values(uncommittedRecords()));
            super.abortTransaction();
            synchronized (this) {
                this.abortedSends.add(dropped);
            }
        }

        /** What each aborted transaction held, in order. */
        synchronized List<Set<String>> abortedSends() {
            return new ArrayList<>(this.abortedSends);
        }

    }

    /**
     * A {@link MockConsumer} over a log per partition: every poll hands over the records from the
     * consumer's position, so a seek back reads them again, as from a broker, and reads past
     * offsets that hold no record to deliver (a transaction marker, aborted records) as a
     * {@code read_committed} consumer does. Its group's committed offsets are those the
     * transactions committed; what the consumer itself commits is recorded apart (an exactly-once
     * engine commits nothing itself).
     */
    static final class GroupConsumer extends MockConsumer<byte[], byte[]> {

        private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> log = new HashMap<>();

        /** The next offset of each partition's log not yet handed to MockConsumer. */
        private final Map<TopicPartition, Long> handedUpTo = new HashMap<>();

        private final List<Map<TopicPartition, Long>> ownCommits = new ArrayList<>();

        private final List<String> seeks = new ArrayList<>();

        private ConsumerRebalanceListener rebalanceListener;

        GroupConsumer() {
            super("earliest");
        }

        void assignAtZero(TopicPartition... partitions) {
            Map<TopicPartition, Long> beginning = new HashMap<>();
            for (TopicPartition partition : partitions) {
                beginning.put(partition, 0L);
            }
            updateBeginningOffsets(beginning);
            rebalance(List.of(partitions));
        }

        synchronized void append(TopicPartition partition) {
            List<ConsumerRecord<byte[], byte[]>> records = this.log.computeIfAbsent(partition, (p) -> new ArrayList<>());
            long offset = records.size();
            records.add(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, ("k" + offset).getBytes(),
                    ("v" + offset).getBytes()));
        }

        /** Appends {@code count} offsets that hold no record to deliver: a marker, aborted records. */
        synchronized void appendUndelivered(TopicPartition partition, int count) {
            List<ConsumerRecord<byte[], byte[]>> records = this.log.computeIfAbsent(partition, (p) -> new ArrayList<>());
            for (int i = 0; i < count; i++) {
                records.add(null);
            }
        }

        @Override
        public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
            for (TopicPartition partition : assignment()) {
                if (paused().contains(partition)) {
                    continue;
                }
                long from = Math.max(position(partition), this.handedUpTo.getOrDefault(partition, 0L));
                for (ConsumerRecord<byte[], byte[]> record : this.log.getOrDefault(partition, List.of())) {
                    if (record != null && record.offset() >= from) {
                        addRecord(record);
                        this.handedUpTo.put(partition, record.offset() + 1);
                    }
                }
            }
            ConsumerRecords<byte[], byte[]> polled = super.poll(timeout);
            Map<TopicPartition, Long> readPast = new HashMap<>();
            for (TopicPartition partition : assignment()) {
                List<ConsumerRecord<byte[], byte[]>> records = this.log.getOrDefault(partition, List.of());
                long position = position(partition);
                long past = position;
                while (!paused().contains(partition) && past < records.size() && records.get((int) past) == null) {
                    past++;
                }
                if (past > position) {
                    super.seek(partition, past);
                    this.handedUpTo.put(partition, past);
                    readPast.put(partition, past);
                }
            }
            return ReadPast.withPositions(polled, readPast);
        }

        @Override
        public synchronized void seek(TopicPartition partition, long offset) {
            super.seek(partition, offset);
            this.handedUpTo.put(partition, offset);
            this.seeks.add(partition + "@" + offset);
        }

        @Override
        public synchronized void rebalance(java.util.Collection<TopicPartition> newAssignment) {
            // MockConsumer drops the records it holds: they are handed over again from the positions.
            this.handedUpTo.clear();
            super.rebalance(newAssignment);
        }

        @Override
        public synchronized void subscribe(java.util.Collection<String> topics, ConsumerRebalanceListener listener) {
            this.rebalanceListener = listener;
            super.subscribe(topics, listener);
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                OffsetCommitCallback callback) {
            this.ownCommits.add(offsets(offsets));
            super.commitAsync(offsets, callback);
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            commitAsync(offsets, null);
        }

        /** The group's offsets as a committed transaction leaves them. */
        synchronized void committedByTransaction(Map<TopicPartition, OffsetAndMetadata> offsets) {
            super.commitAsync(offsets, null);
        }

        synchronized ConsumerRebalanceListener rebalanceListener() {
            return this.rebalanceListener;
        }

        /** What the consumer itself committed. */
        synchronized List<Map<TopicPartition, Long>> ownCommits() {
            return new ArrayList<>(this.ownCommits);
        }

        /** Forgets the seeks so far: MockConsumer seeks a partition to its reset offset when first assigned. */
        synchronized void forgetSeeks() {
            this.seeks.clear();
        }

        /** Every seek, as {@code topic-partition@offset}, in order. */
        synchronized List<String> seeks() {
            return new ArrayList<>(this.seeks);
        }

    }

}
