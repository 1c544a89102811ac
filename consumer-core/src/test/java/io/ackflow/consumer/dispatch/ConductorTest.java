package io.ackflow.consumer.dispatch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ConductorTest {

    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private final List<TrackedRecord> acked = new ArrayList<>();

    private final EngineStats stats = new EngineStats();

    private final OffsetTracker orders = new OffsetTracker(new TopicPartition("orders", 0));

    @Test
    void subscriptionsWithTheSameDeserializersShareOneDeserializationPerRecord() {
        CountingDeserializer shared = new CountingDeserializer();
        CountingDeserializer other = new CountingDeserializer();
        Conductor conductor = conductor(
                stringSubscription("audit", shared), stringSubscription("charge", shared),
                stringSubscription("notify", other));
        for (long offset = 0; offset < 3; offset++) {
            conductor.dispatch(record("orders", offset, "v" + offset), this.orders);
        }
        assertThat(shared.calls).as("one value deserialization per record for audit and charge").hasValue(3);
        assertThat(other.calls).hasValue(3);
        assertThat(this.seen).containsExactly("audit v0", "charge v0", "notify v0", "audit v1", "charge v1",
                "notify v1", "audit v2", "charge v2", "notify v2");
        assertThat(this.acked).hasSize(3);
        assertThat(this.orders.committable()).isEqualTo(3);
    }

    @Test
    void aKeyDeserializerSharedByTwoGroupsRunsOncePerRecordAndAKeyPoisonPillNamesTheKey() {
        CountingDeserializer keys = new CountingDeserializer(true);
        CountingDeserializer first = new CountingDeserializer();
        CountingDeserializer second = new CountingDeserializer();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Conductor conductor = conductor(keyed("audit", keys, first, failures), keyed("charge", keys, second, failures),
                keyed("notify", keys, second, failures));
        conductor.dispatch(keyedRecord(0, "k0", "v0"), this.orders);
        conductor.dispatch(keyedRecord(1, "poison", "v1"), this.orders);
        assertThat(keys.calls).as("one key deserialization per record for the three").hasValue(2);
        assertThat(first.calls).hasValue(2);
        assertThat(second.calls).as("one value deserialization per record for charge and notify").hasValue(2);
        assertThat(this.seen).containsExactly("audit k0=v0", "charge k0=v0", "notify k0=v0");
        assertThat(failures).hasSize(3).allSatisfy((failure) -> assertThat(failure)
            .isInstanceOfSatisfying(org.apache.kafka.common.errors.RecordDeserializationException.class,
                    (ex) -> assertThat(ex.origin()).isEqualTo(
                            org.apache.kafka.common.errors.RecordDeserializationException.DeserializationExceptionOrigin.KEY))
            .hasMessage("Cannot deserialize the key of orders-0@1 (" + SerializationException.class.getName() + ")"));
        assertThat(this.orders.committable()).isEqualTo(2);
    }

    @Test
    void aRecordIsDeserializedOnceByTheFirstHandlerThreadThatNeedsItNotByTheDispatchingThread() throws Exception {
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        Deserializer<String> recording = (topic, data) -> {
            threads.add(Thread.currentThread().getName());
            return new String(data, StandardCharsets.UTF_8);
        };
        java.util.concurrent.ExecutorService handlerThreads = java.util.concurrent.Executors.newFixedThreadPool(2,
                (task) -> new Thread(task, "handler-" + threads.hashCode()));
        List<SubscriptionRunner> runners = new ArrayList<>();
        for (String id : List.of("audit", "charge")) {
            runners.add(new SubscriptionRunner(stringSubscription(id, recording), handlerThreads, this.stats,
                    java.time.Clock.systemUTC()));
        }
        Conductor conductor = new Conductor(runners, this.stats, this.acked::add);
        for (long offset = 0; offset < 3; offset++) {
            conductor.dispatch(record("orders", offset, "v" + offset), this.orders);
        }
        handlerThreads.shutdown();
        assertThat(handlerThreads.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(threads).as("once per record for both subscriptions, on a handler thread").hasSize(3)
            .allSatisfy((thread) -> assertThat(thread).as("not the dispatching thread").startsWith("handler-"));
        assertThat(this.seen).containsExactlyInAnyOrder("audit v0", "charge v0", "audit v1", "charge v1", "audit v2",
                "charge v2");
    }

    @Test
    void recordOfATopicWithNoSubscriptionIsAckedAtOnce() {
        Conductor conductor = conductor(stringSubscription("audit", new CountingDeserializer()));
        OffsetTracker unheard = new OffsetTracker(new TopicPartition("unheard", 0));
        conductor.dispatch(record("unheard", 9, "x"), unheard);
        assertThat(this.acked).extracting(TrackedRecord::toString).containsExactly("unheard-0@9");
        assertThat(unheard.committable()).isEqualTo(10);
        assertThat(this.seen).isEmpty();
    }

    @Test
    void undeserializableRecordIsReleasedByItsGroupAndStillReachesTheOthers() {
        CountingDeserializer strict = new CountingDeserializer(true);
        Conductor conductor = conductor(stringSubscription("strict", strict),
                stringSubscription("lenient", new CountingDeserializer()));
        conductor.dispatch(record("orders", 0, "poison"), this.orders);
        conductor.dispatch(record("orders", 1, "fine"), this.orders);
        assertThat(this.seen).containsExactly("lenient poison", "strict fine", "lenient fine");
        assertThat(this.stats.failed()).isEqualTo(1);
        assertThat(this.orders.committable()).as("the poison pill does not stall the partition").isEqualTo(2);
    }

    @Test
    void moreThanSixtyFourSubscriptionsOfOneTopicAreRefused() {
        List<SubscriptionRunner> runners = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            runners.add(new SubscriptionRunner(stringSubscription("s" + i, new CountingDeserializer()), Runnable::run,
                    this.stats, java.time.Clock.systemUTC()));
        }
        assertThatIllegalArgumentException().isThrownBy(() -> new Conductor(runners, this.stats, this.acked::add))
            .withMessageContaining("'orders'").withMessageContaining("65");
    }

    private Conductor conductor(Subscription<?, ?>... subscriptions) {
        List<SubscriptionRunner> runners = new ArrayList<>();
        for (Subscription<?, ?> subscription : subscriptions) {
            runners.add(new SubscriptionRunner(subscription, Runnable::run, this.stats, java.time.Clock.systemUTC()));
        }
        return new Conductor(runners, this.stats, this.acked::add);
    }

    private Subscription<String, String> stringSubscription(String id, Deserializer<String> valueDeserializer) {
        return Subscription.builder(id).topics("orders")
            .keyDeserializer(KEYS)
            .valueDeserializer(valueDeserializer)
            .handler(RecordHandler.<String, String>blocking((record) -> this.seen.add(id + " " + record.value())))
            .build();
    }

    private Subscription<String, String> keyed(String id, Deserializer<String> keys, Deserializer<String> values,
            List<Throwable> failures) {
        return Subscription.builder(id).topics("orders")
            .keyDeserializer(keys)
            .valueDeserializer(values)
            .handler(RecordHandler.<String, String>blocking(
                    (record) -> this.seen.add(id + " " + record.key() + "=" + record.value())))
            .errorPolicy(io.ackflow.consumer.failure.ErrorPolicy.builder()
                .recovery(io.ackflow.consumer.failure.Recovery.DEAD_LETTER)
                .deadLetterPublisher((failed) -> failures.add(failed.cause()))
                .build())
            .build();
    }

    private static ConsumerRecord<byte[], byte[]> keyedRecord(long offset, String key, String value) {
        return new ConsumerRecord<>("orders", 0, offset, key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    private static final StringDeserializer KEYS = new StringDeserializer();

    private static ConsumerRecord<byte[], byte[]> record(String topic, long offset, String value) {
        return new ConsumerRecord<>(topic, 0, offset, null, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Counts its calls; a strict one refuses the value "poison". */
    private static final class CountingDeserializer implements Deserializer<String> {

        final AtomicInteger calls = new AtomicInteger();

        private final boolean strict;

        CountingDeserializer() {
            this(false);
        }

        CountingDeserializer(boolean strict) {
            this.strict = strict;
        }

        @Override
        public String deserialize(String topic, byte[] data) {
            this.calls.incrementAndGet();
            String value = new String(data, StandardCharsets.UTF_8);
            if (this.strict && value.equals("poison")) {
                throw new SerializationException("not a valid order");
            }
            return value;
        }

    }

}
