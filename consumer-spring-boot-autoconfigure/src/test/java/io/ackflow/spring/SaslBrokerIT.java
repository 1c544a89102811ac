package io.ackflow.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kafka security settings pass through Ackflow untouched: a broker whose client listener takes
 * SASL_PLAINTEXT with PLAIN (the broker's own listeners stay PLAINTEXT), and an application
 * that sets the SASL settings only under {@code spring.kafka.*}. With the right password every
 * record reaches the handler once and the group commits up to the end offsets; with a wrong
 * one no record is read and the consumer stops with Kafka's authentication failure as its
 * failure, logged at ERROR, rather than retrying in silence.
 */
class SaslBrokerIT {

    private static final String TOPIC = "secured";

    private static final int RECORDS = 200;

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"%s\" password=\"%s\";";

    private static final int saslPort = freePort();

    // The test kit's own listeners (EXTERNAL for clients and brokers, CONTROLLER) stay PLAINTEXT,
    // and the test reads offsets through them; SASL_EXT is a third listener, for the application only.
    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, TOPIC).brokerProperties(Map.of(
            "listeners", "EXTERNAL://localhost:0,CONTROLLER://localhost:0,SASL_EXT://localhost:" + saslPort,
            "listener.security.protocol.map", "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_EXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms", "PLAIN",
            "listener.name.sasl_ext.plain.sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\""
                    + " password=\"admin-secret\" user_admin=\"admin-secret\" user_app=\"app-secret\";"));

    /** Every value sent to the topic, by either test. */
    private static final Set<String> sent = ConcurrentHashMap.newKeySet();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withUserConfiguration(Listener.class);

    @Test
    void aConsumerConfiguredWithSaslOnlyThroughSpringKafkaReadsAndCommitsEveryRecord() throws Exception {
        produce();
        this.contextRunner.withPropertyValues(saslProperties("sasl-it", "app-secret")).run((context) -> {
            assertThat(context).hasNotFailed();
            Listener listener = context.getBean(Listener.class);
            BrokerOffsets offsets = broker.offsets();
            Map<TopicPartition, Long> end = offsets.end(TOPIC, 2);
            assertThat(end.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sent.size());
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> offsets.committedOffsets("sasl-it").equals(end));
            assertThat(listener.received.keySet()).isEqualTo(sent);
            assertThat(listener.received.values()).allMatch((count) -> count == 1);
            assertThat(context.getBean(StreamListenerRegistry.class).consumerConfigs("ackflow"))
                .containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT")
                .containsEntry(SaslConfigs.SASL_MECHANISM, "PLAIN")
                .containsEntry(SaslConfigs.SASL_JAAS_CONFIG, JAAS.formatted("app", "app-secret"));
        });
    }

    @Test
    void aWrongPasswordStopsTheConsumerWithTheAuthenticationFailureAndReadsNothing() throws Exception {
        produce();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger loopLogger = (Logger) LoggerFactory.getLogger(PollLoop.class);
        logs.start();
        loopLogger.addAppender(logs);
        try {
            this.contextRunner.withPropertyValues(saslProperties("sasl-it-denied", "wrong-secret")).run((context) -> {
                assertThat(context).hasNotFailed();
                AckflowEngine engine = context.getBean(StreamListenerRegistry.class).getEngine();
                await().atMost(Duration.ofSeconds(60)).until(() -> engine.state() == EngineState.FAILED);
                assertThat(engine.failure()).isInstanceOf(SaslAuthenticationException.class)
                    .hasMessageContaining("Authentication failed").hasMessageNotContaining("wrong-secret");
                assertThat(context.getBean(Listener.class).received).isEmpty();
                assertThat(broker.offsets().committed("sasl-it-denied")).isEmpty();
            });
        }
        finally {
            loopLogger.detachAppender(logs);
        }
        assertThat(logs.list).filteredOn((event) -> event.getLevel() == Level.ERROR).singleElement()
            .satisfies((event) -> {
                assertThat(event.getFormattedMessage()).isEqualTo("Poll loop of [" + TOPIC + "] failed; stopping with"
                        + " a final commit of what is acked");
                assertThat(event.getThrowableProxy().getClassName()).isEqualTo(SaslAuthenticationException.class.getName());
            });
    }

    private static String[] saslProperties(String group, String password) {
        return new String[] { "spring.kafka.bootstrap-servers=localhost:" + saslPort,
            "spring.kafka.security.protocol=SASL_PLAINTEXT", "spring.kafka.properties.sasl.mechanism=PLAIN",
            "spring.kafka.properties.sasl.jaas.config=" + JAAS.formatted("app", password),
            "spring.kafka.consumer.group-id=" + group, "spring.kafka.consumer.auto-offset-reset=earliest",
            "ackflow.commit-interval=200ms" };
    }

    /** Sends {@link #RECORDS} records through the SASL listener, as the application's user; adds them to {@link #sent}. */
    private static void produce() throws Exception {
        Map<String, Object> configs = new HashMap<>();
        configs.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + saslPort);
        configs.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        configs.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        configs.put(SaslConfigs.SASL_JAAS_CONFIG, JAAS.formatted("app", "app-secret"));
        EmbeddedBroker.produce(configs, RECORDS,
                (i) -> new ProducerRecord<>(TOPIC, "customer-" + (i % 7), "order-" + i + "-" + System.nanoTime()))
            .forEach((record) -> sent.add(record.value()));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Listener {

        final Map<String, Integer> received = new ConcurrentHashMap<>();

        @StreamListener(id = "secured", topics = TOPIC)
        void handle(ConsumerRecord<String, String> record) {
            this.received.merge(record.value(), 1, Integer::sum);
        }

    }

}
