package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.ShareStats;
import io.ackflow.consumer.testing.EmbeddedBroker;
import io.ackflow.spring.actuate.AckflowEndpoint;
import io.micrometer.core.instrument.MeterRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Share consumers ({@code ackflow.consumers.work.group-type=share}) in Spring Boot applications
 * against a real KRaft broker with share groups: fan-out across two instances, acknowledgement
 * once every handler is done, the {@code release} and {@code reject} recoveries with the delivery
 * count, and the stop. Each test has a topic and a share group of its own.
 */
class ShareConsumerBrokerIT {

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker
        .withTopics(2, "fanout", "release", "reject", "hold", "stop", "expire")
        .shareGroups()
        .brokerProperties(Map.of("group.share.min.record.lock.duration.ms", "1000"));

    /** Per listener, what it saw: {@code value#deliveryCount}, in the order seen. */
    static final Map<String, List<String>> seen = new ConcurrentHashMap<>();

    /** Released by the tests that hold a handler. */
    static volatile CountDownLatch gate = new CountDownLatch(0);

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void close() {
        gate.countDown();
        closeAll();
        seen.clear();
    }

    private void closeAll() {
        this.contexts.forEach(ConfigurableApplicationContext::close);
        this.contexts.clear();
    }

    @Test
    void twoInstancesWithTwoListenersHandleEveryRecordOnceEachAndAcknowledgeItOnce() throws Exception {
        broker.shareGroupFromEarliest("fanout-workers");
        AckflowEngine first = start("fanout", "fanout-workers", FanOut.class);
        AckflowEngine second = start("fanout", "fanout-workers", FanOut.class);
        broker.produce(200, (i) -> new ProducerRecord<>("fanout", "k" + i, "r" + i));

        await().atMost(Duration.ofSeconds(60))
            .until(() -> first.shareStats().accepted() + second.shareStats().accepted() == 200);
        for (String listener : List.of("audit", "charge")) {
            List<String> values = seen.get(listener);
            assertThat(values).as(listener).hasSize(200).doesNotHaveDuplicates().allMatch((v) -> v.endsWith("#1"));
        }
        assertThat(first.shareStats().acquired() + second.shareStats().acquired()).isEqualTo(200);
        assertThat(first.shareStats().released() + second.shareStats().released()).isZero();
        closeAll();
        assertThat(broker.shareGroupDelivers("fanout-workers", "fanout", Duration.ofSeconds(5)))
            .as("none left acquired or available").isEmpty();
    }

    @Test
    void aReleaseRecoverySeesTheRecordAgainWithDeliveryCountTwo() throws Exception {
        broker.shareGroupFromEarliest("release-workers");
        AckflowEngine engine = start("release", "release-workers", FailFirstDelivery.class,
                "ackflow.listeners.flaky.errors.recovery=release", "ackflow.listeners.flaky.errors.retry.attempts=1");
        broker.produce(1, (i) -> new ProducerRecord<>("release", "k", "job"));

        await().atMost(Duration.ofSeconds(60)).until(() -> engine.shareStats().accepted() == 1);
        assertThat(seen.get("flaky")).containsExactly("job#1", "job#2");
        assertThat(seen.get("steady")).containsExactly("job#1", "job#2");
        assertThat(engine.shareStats().released()).isEqualTo(1);
    }

    @Test
    void aRejectAfterTheRetriesLeavesTheRecordOutForGood() throws Exception {
        broker.shareGroupFromEarliest("reject-workers");
        AckflowEngine engine = start("reject", "reject-workers", AlwaysFails.class,
                "ackflow.listeners.broken.errors.recovery=reject", "ackflow.listeners.broken.errors.retry.attempts=2",
                "ackflow.listeners.broken.errors.retry.delay=10ms");
        broker.produce(2, (i) -> new ProducerRecord<>("reject", 0, "k", (i == 0) ? "poison" : "fine"));

        await().atMost(Duration.ofSeconds(60))
            .until(() -> engine.shareStats().rejected() == 1 && engine.shareStats().accepted() == 1);
        assertThat(seen.get("broken")).as("two attempts, one delivery").containsExactlyInAnyOrder("poison#1", "poison#1",
                "fine#1");
        closeAll();
        assertThat(broker.shareGroupDelivers("reject-workers", "reject", Duration.ofSeconds(5)))
            .as("the rejected record is never delivered again").isEmpty();
    }

    @Test
    void aRecordIsNotAcknowledgedWhileOneOfItsTwoHandlersStillRuns() throws Exception {
        broker.shareGroupFromEarliest("hold-workers");
        gate = new CountDownLatch(1);
        AckflowEngine engine = start("hold", "hold-workers", OneHolds.class);
        broker.produce(1, (i) -> new ProducerRecord<>("hold", "k", "job"));

        await().atMost(Duration.ofSeconds(60)).until(() -> seen.containsKey("quick") && seen.containsKey("slow"));
        // The snapshot is published every half second: wait until it shows quick done and slow running.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(engine.shareSnapshot().oldest())
            .singleElement().satisfies((held) -> assertThat(held.holders()).containsExactly("slow")));
        assertThat(engine.shareStats().accepted()).isZero();
        ConfigurableApplicationContext context = this.contexts.get(0);
        Map<String, Object> work = consumer(context.getBean(AckflowEndpoint.class).consumers(), "work");
        assertThat(work).extractingByKey("share").satisfies((share) -> {
            assertThat(share).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("group", "hold-workers").containsEntry("inHand", 1).containsEntry("lockWarning", false)
                .extractingByKey("oldestHeld").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("record", "hold-" + engine.shareSnapshot().oldest().get(0).record().split("-")[1])
                .containsEntry("deliveryCount", 1).containsEntry("heldBy", List.of("slow"));
        });
        MeterRegistry meters = context.getBean(MeterRegistry.class);
        assertThat(meters.get("ackflow.share.records.acquired").tag("consumer", "work").functionCounter().count())
            .isEqualTo(1.0);
        assertThat(meters.get("ackflow.share.records.in.hand").gauge().value()).isEqualTo(1.0);
        gate.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.shareStats().accepted() == 1);
        assertThat(meters.get("ackflow.share.records.accepted").functionCounter().count()).isEqualTo(1.0);
        assertThat(meters.get("ackflow.share.delivery.count").summary().count()).isEqualTo(1);
        assertThat(meters.get("ackflow.share.delivery.count").summary().totalAmount()).isEqualTo(1.0);
    }

    @Test
    void theStopReleasesWhatWasAcquiredButNeverStarted() throws Exception {
        broker.shareGroupFromEarliest("stop-workers");
        gate = new CountDownLatch(1);
        AckflowEngine engine = start("stop", "stop-workers", OneAtATime.class);
        broker.produce(3, (i) -> new ProducerRecord<>("stop", 0, "k", "r" + i));
        await().atMost(Duration.ofSeconds(60)).until(() -> seen.containsKey("single"));
        await().atMost(Duration.ofSeconds(5)).until(() -> engine.shareSnapshot().acquired() == 3);

        Thread stopper = new Thread(() -> this.contexts.remove(0).close());
        stopper.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.state() == io.ackflow.consumer.EngineState.STOPPING);
        gate.countDown();
        stopper.join(30_000);
        ShareStats stats = engine.shareStats();
        assertThat(seen.get("single")).containsExactly("r0#1");
        assertThat(stats.accepted()).isEqualTo(1);
        assertThat(stats.released()).as("acquired, never started").isEqualTo(2);

        AckflowEngine next = start("stop", "stop-workers", OneAtATime.class);
        await().atMost(Duration.ofSeconds(60)).until(() -> next.shareStats().accepted() == 2);
        assertThat(seen.get("single")).containsExactly("r0#1", "r1#2", "r2#2");
    }

    @Test
    void aRecordHeldPastItsLockIsReportedThenDeliveredAgainAndItsLateCompletionIsNotAcknowledged() throws Exception {
        broker.shareGroupFromEarliest("expire-workers");
        broker.shareGroupConfig("expire-workers", "share.record.lock.duration.ms", "3000");
        gate = new CountDownLatch(1);
        AckflowEngine engine = start("expire", "expire-workers", HoldsFirstDelivery.class);
        broker.produce(1, (i) -> new ProducerRecord<>("expire", "k", "job"));

        await().atMost(Duration.ofSeconds(60)).until(() -> seen.getOrDefault("patient", List.of()).size() == 2);
        assertThat(seen.get("patient")).containsExactly("job#1", "job#2");
        assertThat(engine.shareStats().lockWarnings()).as("reported before the lock expired").isEqualTo(1);
        assertThat(engine.shareStats().expired()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.shareStats().accepted() == 1);
        gate.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.shareStats().lateCompletions() == 1);
        assertThat(engine.shareStats().accepted()).as("the late completion is not acknowledged").isEqualTo(1);
        assertThat(engine.shareStats().acquired()).isEqualTo(2);
    }

    private AckflowEngine start(String topic, String group, Class<?> handlers, String... extra) {
        List<String> properties = new ArrayList<>(List.of("spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "spring.kafka.consumer.group-id=unused", "spring.kafka.consumer.auto-offset-reset=earliest",
                "ackflow.consumers.work.group-type=share", "ackflow.consumers.work.group-id=" + group,
                "ackflow.consumers.work.listeners=" + listenerIds(handlers), "test.topic=" + topic,
                "ackflow.shutdown-timeout=20s", "management.endpoints.web.exposure.include=ackflow"));
        properties.addAll(List.of(extra));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class, handlers)
            .web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
        this.contexts.add(context);
        return context.getBean(StreamListenerRegistry.class).getEngines().get("work");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> consumer(Map<String, Object> endpoint, String name) {
        return (Map<String, Object>) ((Map<String, Object>) endpoint.get("consumers")).get(name);
    }

    private static String listenerIds(Class<?> handlers) {
        List<String> ids = new ArrayList<>();
        for (java.lang.reflect.Method method : handlers.getDeclaredMethods()) {
            StreamListener listener = method.getAnnotation(StreamListener.class);
            if (listener != null) {
                ids.add(listener.id());
            }
        }
        return String.join(",", ids);
    }

    static void saw(String listener, String value, int deliveryCount) {
        seen.computeIfAbsent(listener, (k) -> Collections.synchronizedList(new ArrayList<>()))
            .add(value + "#" + deliveryCount);
    }

    static class FanOut {

        @StreamListener(id = "audit", topics = "${test.topic}")
        void audit(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) {
            saw("audit", value, deliveryCount);
        }

        @StreamListener(id = "charge", topics = "${test.topic}", concurrency = 8)
        void charge(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) {
            saw("charge", value, deliveryCount);
        }

    }

    static class FailFirstDelivery {

        @StreamListener(id = "flaky", topics = "${test.topic}")
        void flaky(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) {
            saw("flaky", value, deliveryCount);
            if (deliveryCount == 1) {
                throw new IllegalStateException("not yet");
            }
        }

        @StreamListener(id = "steady", topics = "${test.topic}")
        void steady(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) {
            saw("steady", value, deliveryCount);
        }

    }

    static class AlwaysFails {

        @StreamListener(id = "broken", topics = "${test.topic}", concurrency = 1)
        void broken(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) {
            saw("broken", value, deliveryCount);
            if (value.equals("poison")) {
                throw new IllegalStateException("cannot");
            }
        }

    }

    static class OneHolds {

        @StreamListener(id = "quick", topics = "${test.topic}")
        void quick(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) {
            saw("quick", value, deliveryCount);
        }

        @StreamListener(id = "slow", topics = "${test.topic}")
        void slow(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount) throws InterruptedException {
            saw("slow", value, deliveryCount);
            gate.await(30, TimeUnit.SECONDS);
        }

    }

    static class OneAtATime {

        final AtomicInteger calls = new AtomicInteger();

        @StreamListener(id = "single", topics = "${test.topic}", concurrency = 1)
        void single(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount)
                throws InterruptedException {
            saw("single", value, deliveryCount);
            if (this.calls.incrementAndGet() == 1) {
                gate.await(30, TimeUnit.SECONDS);
            }
        }

    }

    static class HoldsFirstDelivery {

        @StreamListener(id = "patient", topics = "${test.topic}", concurrency = 4)
        void patient(String value, @Header(KafkaHeaders.DELIVERY_ATTEMPT) int deliveryCount)
                throws InterruptedException {
            saw("patient", value, deliveryCount);
            if (deliveryCount == 1) {
                gate.await(60, TimeUnit.SECONDS);
            }
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

    }

}
