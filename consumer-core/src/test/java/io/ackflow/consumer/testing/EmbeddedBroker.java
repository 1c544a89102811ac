package io.ackflow.consumer.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.awaitility.Awaitility.await;

/**
 * One embedded KRaft broker for the tests of a class, and what broker tests do with it: write
 * input, configure consumers, read offsets and read what transactions committed. Registered on a
 * static field,
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedBroker broker = EmbeddedBroker.withTopics(4, "orders");
 * }</pre>
 * it starts before the class's first test (and before a Spring test context that takes
 * {@link #bootstrapServers()} from it), creates the topics and waits for their partition leaders,
 * and stops after the class's last test.
 * <p>
 * Configured on the thread that builds it, before it starts; started and stopped by JUnit. Once
 * started, any thread may use it: every call opens clients of its own and closes them before it
 * returns.
 */
public final class EmbeddedBroker implements BeforeAllCallback, AfterAllCallback {

    private final EmbeddedKafkaKraftBroker broker;

    private final String[] topics;

    private EmbeddedBroker(int partitions, String... topics) {
        this.broker = new EmbeddedKafkaKraftBroker(1, partitions, topics);
        this.topics = topics.clone();
    }

    /** A broker that creates the topics, each with {@code partitions} partitions. */
    public static EmbeddedBroker withTopics(int partitions, String... topics) {
        return new EmbeddedBroker(partitions, topics);
    }

    /** Adds broker settings; before it starts. */
    public EmbeddedBroker brokerProperties(Map<String, String> properties) {
        this.broker.brokerProperties(properties);
        return this;
    }

    /**
     * Settings for transactions on a single broker: the transaction state log on one replica, and
     * a crashed producer's open transaction aborted soon after it times out.
     */
    public EmbeddedBroker transactional() {
        return brokerProperties(Map.of("transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
    }

    /**
     * Settings for share groups on a single broker: the share-group state topic on one replica.
     * Share groups themselves are on by default from Kafka 4.2 (feature {@code share.version=1}).
     */
    public EmbeddedBroker shareGroups() {
        return brokerProperties(Map.of("share.coordinator.state.topic.replication.factor", "1",
                "share.coordinator.state.topic.min.isr", "1"));
    }

    /**
     * Makes the share group start at the earliest offset of the topics it reads (share groups
     * start at the latest by default), so that records written before its first member joins are
     * delivered.
     */
    public void shareGroupFromEarliest(String group) throws Exception {
        shareGroupConfig(group, "share.auto.offset.reset", "earliest");
    }

    /** Sets a configuration of the share group, such as {@code share.record.lock.duration.ms}. */
    public void shareGroupConfig(String group, String name, String value) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
            AlterConfigOp set = new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(set))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * What a new member of the share group is handed within {@code window}, as
     * {@code topic-partition@offset}; each record is released again. Empty when the group has
     * nothing left to deliver: every record settled for good, none acquired by another member.
     * The broker hands a new member what is available at once, so the window only needs to cover
     * its joining the group.
     */
    public List<String> shareGroupDelivers(String group, String topic, Duration window) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        List<String> delivered = new ArrayList<>();
        try (KafkaShareConsumer<String, String> member = new KafkaShareConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            member.subscribe(List.of(topic));
            long end = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < end) {
                for (ConsumerRecord<String, String> record : member.poll(Duration.ofMillis(200))) {
                    delivered.add(record.topic() + "-" + record.partition() + "@" + record.offset());
                    member.acknowledge(record, AcknowledgeType.RELEASE);
                }
            }
        }
        return delivered;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        this.broker.afterPropertiesSet();
        offsets().awaitLeaders(this.topics);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        this.broker.destroy();
    }

    /** The bootstrap servers of the broker's PLAINTEXT client listener. */
    public String bootstrapServers() {
        return this.broker.getBrokersAsString();
    }

    public BrokerOffsets offsets() {
        return new BrokerOffsets(bootstrapServers());
    }

    /**
     * Consumer settings of a group that starts from the earliest offset and commits only what the
     * engine commits; a new map, for the test to add to.
     */
    public Map<String, Object> consumerProperties(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return props;
    }

    /**
     * Writes {@code count} records, record {@code i} made by {@code record}, and waits until the
     * broker has every one of them.
     * @return the records written, in the order written
     */
    public List<ProducerRecord<String, String>> produce(int count, IntFunction<ProducerRecord<String, String>> record)
            throws Exception {
        return produce(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()), count, record);
    }

    /**
     * Writes {@code count} records with a producer of the given settings (on top of acks from all
     * replicas and a 5 ms linger), record {@code i} made by {@code record}, and waits until the
     * broker has every one of them. A send that fails fails the test, naming the record.
     * @return the records written, in the order written
     */
    public static List<ProducerRecord<String, String>> produce(Map<String, Object> producerProperties, int count,
            IntFunction<ProducerRecord<String, String>> record) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // A send fails by itself (naming its cause) well before the wait for it gives up.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 45_000);
        props.putAll(producerProperties);
        List<ProducerRecord<String, String>> records = new ArrayList<>(count);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            List<Future<?>> sends = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ProducerRecord<String, String> next = record.apply(i);
                records.add(next);
                sends.add(producer.send(next));
            }
            for (int i = 0; i < sends.size(); i++) {
                try {
                    sends.get(i).get(60, TimeUnit.SECONDS);
                }
                catch (ExecutionException | TimeoutException ex) {
                    long pending = sends.stream().filter((send) -> !send.isDone()).count();
                    throw new AssertionError("Writing to " + records.get(i).topic() + " failed at record " + i + " of "
                            + count + " (" + pending + " sends not done)", ex);
                }
            }
        }
        return records;
    }

    /**
     * Every record a {@code read_committed} reader sees on the topic's first {@code partitions}
     * partitions, counted by key, read once no transaction is open on them any more (a crashed
     * producer's is aborted when it times out).
     */
    public Map<String, Integer> readCommittedByKey(String topic, int partitions) throws Exception {
        List<TopicPartition> all = BrokerOffsets.partitions(topic, partitions);
        BrokerOffsets offsets = offsets();
        Map<TopicPartition, Long> stable = new HashMap<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            stable.clear();
            stable.putAll(offsets.end(all, IsolationLevel.READ_COMMITTED));
            return stable.equals(offsets.end(all, IsolationLevel.READ_UNCOMMITTED));
        });
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            reader.assign(all);
            reader.seekToBeginning(all);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> next : reader.poll(Duration.ofMillis(200))) {
                    seen.merge(next.key(), 1, Integer::sum);
                }
                return all.stream().allMatch((p) -> reader.position(p) >= stable.get(p));
            });
        }
        return seen;
    }

}
