package io.ackflow.consumer.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import static org.awaitility.Awaitility.await;

/**
 * A single Kafka broker (KRaft, broker and controller in one process) as its own OS process on
 * 127.0.0.1, from the Kafka server classes on this JVM's class path. Its ports and data
 * directory are chosen once, so a broker killed with SIGKILL restarts on the same log, the same
 * committed offsets and the same address.
 * <p>
 * Broker tests that stop and restart the broker use it (consumer-core's test-jar), and so does
 * the chaos harness of the benchmarks module. The Kafka server classes ({@code kafka.Kafka},
 * {@code kafka.tools.StorageTool}) come with spring-kafka-test. The thread that owns a
 * {@code BrokerProcess} is the only one that starts and stops it.
 */
public final class BrokerProcess {

    private final Path dir;

    private final int port;

    private final int controllerPort;

    private final ChildJvm jvm;

    public BrokerProcess(Path dir, int partitions) throws IOException {
        this.dir = dir;
        this.port = freePort();
        this.controllerPort = freePort();
        Files.createDirectories(dir);
        Path properties = dir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + this.controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + this.port + ",CONTROLLER://127.0.0.1:" + this.controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + this.port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=" + partitions,
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=3",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                // group.protocol=consumer: a killed member's partitions move after 6 s instead of 45 s.
                "group.consumer.min.session.timeout.ms=6000",
                "group.consumer.session.timeout.ms=6000",
                "group.consumer.min.heartbeat.interval.ms=1000",
                "group.consumer.heartbeat.interval.ms=1500",
                "") );
        this.jvm = new ChildJvm("broker", "768m", "kafka.Kafka", List.of(properties.toString()), dir.resolve("broker.log"));
        format(properties);
    }

    /** {@code kafka.tools.StorageTool format --standalone}: a fresh cluster whose only voter is this node. */
    private void format(Path properties) throws IOException {
        ChildJvm format = new ChildJvm("format", "256m", "kafka.tools.StorageTool",
                List.of("format", "--standalone", "-t", clusterId(), "-c", properties.toString()), this.dir.resolve("format.log"));
        format.start();
        try {
            await("storage format").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !format.isAlive());
        }
        finally {
            format.destroyNow();
        }
        if (format.exitCode() != 0) {
            throw new IllegalStateException("kafka.tools.StorageTool format failed:\n" + Files.readString(format.log()));
        }
    }

    /**
     * A cluster id as {@code StorageTool random-uuid} prints it: Kafka's {@link Uuid}, which never
     * starts with '-' (a Base64 id that did would be read as an option, and the format would fail).
     */
    private static String clusterId() {
        return Uuid.randomUuid().toString();
    }

    public String bootstrap() {
        return "127.0.0.1:" + this.port;
    }

    public Path dataDir() {
        return this.dir.resolve("data");
    }

    public ChildJvm jvm() {
        return this.jvm;
    }

    /** Starts the broker and waits until it answers a metadata request. */
    public void start(Duration timeout) throws IOException {
        this.jvm.start();
        await("broker " + bootstrap()).atMost(timeout).pollInterval(Duration.ofMillis(200))
            .ignoreExceptionsMatching((ex) -> !(ex instanceof IllegalStateException))
            .until(() -> {
                if (!this.jvm.isAlive()) {
                    throw new IllegalStateException("the broker exited with " + this.jvm.exitCode() + "; see " + this.jvm.log());
                }
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", this.port), 500);
                }
                try (Admin admin = admin()) {
                    return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == 1;
                }
            });
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

}
