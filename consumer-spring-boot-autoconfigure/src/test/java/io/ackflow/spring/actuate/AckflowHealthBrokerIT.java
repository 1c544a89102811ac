package io.ackflow.spring.actuate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.core.KafkaTemplate;

import io.ackflow.consumer.testing.BrokerProcess;
import io.ackflow.spring.AckflowActuatorAutoConfiguration;
import io.ackflow.spring.AckflowAutoConfiguration;
import io.ackflow.spring.StreamListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code ackflow} health against a broker that goes away: a broker process is killed while
 * an acked record waits for its commit, and started again on the same log. Health is DOWN within
 * the session timeout and a commit interval, naming the failing commits and the silent
 * coordinator, and UP once the broker is back and the commit went through.
 */
class AckflowHealthBrokerIT {

    private static final String TOPIC = "health";

    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

    private static final Duration COMMIT_INTERVAL = Duration.ofMillis(200);

    /**
     * Besides the session timeout and a commit interval: the poll thread publishes what health
     * reads (the heartbeat metric and the connections) every half second, and this test asks
     * every tenth of a second.
     */
    private static final Duration READING_SLACK = Duration.ofSeconds(1);

    @TempDir
    static Path dir;

    static BrokerProcess broker;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class,
                AckflowActuatorAutoConfiguration.class))
        .withBean(Handlers.class);

    @BeforeAll
    static void startBroker() throws Exception {
        broker = new BrokerProcess(dir.resolve("broker"), 1);
        broker.start(Duration.ofSeconds(90));
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.jvm().destroyNow();
        }
    }

    @Test
    void healthIsDownWhileTheBrokerIsGoneAndUpOnceItIsBackAndCommitsSucceed() {
        this.contextRunner.withPropertyValues("spring.kafka.bootstrap-servers=" + broker.bootstrap(),
                "spring.kafka.consumer.group-id=health-it", "spring.kafka.consumer.auto-offset-reset=earliest",
                "spring.kafka.consumer.properties.session.timeout.ms=" + SESSION_TIMEOUT.toMillis(),
                "spring.kafka.consumer.properties.heartbeat.interval.ms=1000",
                "ackflow.commit-interval=" + COMMIT_INTERVAL.toMillis() + "ms",
                "ackflow.health.commit-failure-intervals=5")
            .run((context) -> {
                Handlers handlers = context.getBean(Handlers.class);
                AckflowHealthIndicator health = context.getBean(AckflowHealthIndicator.class);
                KafkaTemplate<?, ?> template = context.getBean(KafkaTemplate.class);
                for (int i = 0; i < 10; i++) {
                    send(template, "order-" + i);
                }
                template.flush();
                await().atMost(Duration.ofSeconds(60))
                    .until(() -> handlers.handled.size() == 9 && committed(context) == 9);
                assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
                assertThat(health.limits("ackflow").coordinatorTimeout()).isEqualTo(SESSION_TIMEOUT);

                long killedAt = System.nanoTime();
                broker.jvm().kill();
                // Offset 9 is acked now, so its commit fails at every interval until the broker is back.
                handlers.release.countDown();

                Health down = await().atMost(SESSION_TIMEOUT.plus(COMMIT_INTERVAL).plus(READING_SLACK))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> health.health(true), (h) -> reasons(h).contains("coordinator-unreachable"));
                Duration downAfter = Duration.ofNanos(System.nanoTime() - killedAt);
                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                assertThat(reasons(down)).as("after %s", downAfter)
                    .containsExactly("commits-failing", "coordinator-unreachable");
                Map<String, Object> commits = detail(down, "commitsFailing");
                assertThat(commits.get("partitions")).isEqualTo(List.of("health-0"));
                assertThat(commits.get("limit")).isEqualTo("PT1S");
                Map<String, Object> coordinator = detail(down, "coordinatorUnreachable");
                assertThat(coordinator.get("groupId")).isEqualTo("health-it");
                assertThat(coordinator.get("limit")).isEqualTo("PT6S");
                assertThat(coordinator.get("brokerConnections")).as("no rebalance can explain the silence").isEqualTo(0);

                broker.start(Duration.ofSeconds(120));
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> health.health(true).getStatus().equals(Status.UP));
                // UP comes with the first heartbeat; the commit follows at the next interval with
                // something to commit (after the member lost its partition while the broker was
                // gone, once offset 9 is read and handled again).
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> committed(context) == 10);
                assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
                try (Admin admin = broker.admin()) {
                    assertThat(admin.listConsumerGroupOffsets("health-it").partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS).get(PARTITION).offset()).as("the group's committed offset").isEqualTo(10);
                }
                assertThat(handlers.handled).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
            });
    }

    @SuppressWarnings("unchecked")
    private static void send(KafkaTemplate<?, ?> template, String value) {
        ((KafkaTemplate<String, String>) template).send(TOPIC, 0, null, value);
    }

    /** The group's committed offset of the partition as the engine saw it confirmed, -1 before one. */
    private static long committed(org.springframework.context.ApplicationContext context) {
        Map<TopicPartition, Long> offsets = context.getBean(io.ackflow.spring.StreamListenerRegistry.class).getEngine()
            .committedOffsets();
        return offsets.getOrDefault(PARTITION, -1L);
    }

    @SuppressWarnings("unchecked")
    private static List<String> reasons(Health health) {
        Object reasons = consumer(health).get("reasons");
        return (reasons != null) ? (List<String>) reasons : List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> detail(Health health, String key) {
        return (Map<String, Object>) consumer(health).get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> consumer(Health health) {
        return (Map<String, Object>) ((Map<String, Object>) health.getDetails().get("consumers")).get("ackflow");
    }

    static class Handlers {

        final CountDownLatch release = new CountDownLatch(1);

        final Set<Long> handled = ConcurrentHashMap.newKeySet();

        /** Holds offset 9 until the broker is gone, so that its commit is what fails. */
        @StreamListener(id = "audit", topics = TOPIC)
        void audit(ConsumerRecord<String, String> record) throws InterruptedException {
            if (record.offset() == 9) {
                this.release.await();
            }
            this.handled.add(record.offset());
        }

    }

}
