package io.ackflow.spring.share;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.kafka.core.DefaultShareConsumerFactory;

import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What share consumers rest on, proved against the embedded KRaft broker: a share group forms, a
 * consumer in explicit acknowledgement mode built by spring-kafka's
 * {@link DefaultShareConsumerFactory} receives records, and {@code ACCEPT}, {@code RELEASE} and
 * {@code REJECT} do what they promise: an accepted record is gone, a released one comes back with
 * its delivery count raised, a rejected one never comes back.
 */
class ShareGroupBrokerIT {

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(1, "jobs").shareGroups();

    @Test
    void explicitAcknowledgementsAcceptReleaseAndRejectWithTheDeliveryCount() throws Exception {
        broker.shareGroupFromEarliest("share-spike");
        broker.produce(3, (i) -> new ProducerRecord<>("jobs", "k" + i, "job-" + i));
        try (ShareConsumer<String, String> consumer = shareConsumer("share-spike")) {
            consumer.subscribe(List.of("jobs"));
            // First delivery: accept job-0, release job-1, reject job-2.
            Map<String, Short> first = new TreeMap<>();
            List<ConsumerRecord<String, String>> firstRecords = pollUntil(consumer, 3);
            for (ConsumerRecord<String, String> record : firstRecords) {
                first.put(record.value(), record.deliveryCount().orElseThrow());
                AcknowledgeType type = switch (record.value()) {
                    case "job-0" -> AcknowledgeType.ACCEPT;
                    case "job-1" -> AcknowledgeType.RELEASE;
                    default -> AcknowledgeType.REJECT;
                };
                consumer.acknowledge(record, type);
            }
            consumer.commitSync();
            assertThat(first).containsExactly(Map.entry("job-0", (short) 1), Map.entry("job-1", (short) 1),
                    Map.entry("job-2", (short) 1));

            // Only the released record comes back, delivered a second time.
            List<ConsumerRecord<String, String>> again = pollUntil(consumer, 1);
            assertThat(again).extracting(ConsumerRecord::value).containsExactly("job-1");
            assertThat(again.get(0).deliveryCount()).contains((short) 2);
            consumer.acknowledge(again.get(0), AcknowledgeType.ACCEPT);
            consumer.commitSync();

            // Nothing more: the accepted and the rejected records are done with.
            assertThat(consumer.poll(Duration.ofSeconds(2)).count()).isZero();
        }
    }

    private static List<ConsumerRecord<String, String>> pollUntil(ShareConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size() >= count;
        });
        assertThat(records).hasSize(count);
        return records;
    }

    private static ShareConsumer<String, String> shareConsumer(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        DefaultShareConsumerFactory<String, String> factory = new DefaultShareConsumerFactory<>(props,
                new StringDeserializer(), new StringDeserializer(), false);
        ShareConsumer<String, String> consumer = factory.createShareConsumer(group, "spike");
        return consumer;
    }

}
