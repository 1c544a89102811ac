package io.ackflow.benchmarks.harness;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigResource;

/**
 * What the share arms need of a share group: to start at the earliest offset (a share group starts
 * at the latest by default, and the records are produced before the run), and the share consumer
 * settings of a run's group.
 */
final class ShareGroups {

    private ShareGroups() {
    }

    /** Sets {@code share.auto.offset.reset=earliest} on each group before any member joins it. */
    static void fromEarliest(String bootstrap, List<String> groups) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String group : groups) {
                AlterConfigOp earliest = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
                        AlterConfigOp.OpType.SET);
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group),
                        List.of(earliest))).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Share consumer settings of {@code group}: a share consumer refuses the consumer-group ones. */
    static Map<String, Object> consumerProperties(Spec spec, String group) {
        return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.bootstrap(), ConsumerConfig.GROUP_ID_CONFIG, group);
    }

}
