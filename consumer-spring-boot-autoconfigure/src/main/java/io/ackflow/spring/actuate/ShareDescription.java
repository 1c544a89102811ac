package io.ackflow.spring.actuate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.ShareStats;
import io.ackflow.consumer.state.HandlerRun;
import io.ackflow.consumer.state.ShareSnapshot;

/**
 * The {@code share} section of a share consumer in {@code /actuator/ackflow}: its share group, the
 * records in hand with their acquisition lock (when it expires, whether the records still held were
 * reported), per partition the first record held (coordinates, delivery count, the subscriptions
 * holding it, the handlers running on it), and the acknowledgement totals. Never a payload or a key.
 * <p>
 * Threads: any; reads the snapshot the poll thread published and the engine's counters. Stateless.
 */
final class ShareDescription {

    private ShareDescription() {
    }

    /** The section, or null for a consumer group. */
    static Map<String, Object> of(AckflowEngine engine) {
        ShareSnapshot snapshot = engine.shareSnapshot();
        if (snapshot == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("group", engine.shareGroup());
        out.put("inHand", snapshot.acquired());
        if (snapshot.acquiredAt() != null) {
            out.put("acquiredAt", snapshot.acquiredAt().toString());
            out.put("lockExpiresAt", snapshot.lockExpiresAt().toString());
        }
        out.put("lockWarning", snapshot.lockWarning());
        List<Map<String, Object>> held = new ArrayList<>();
        for (ShareSnapshot.HeldRecord record : snapshot.oldest()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("record", record.record());
            one.put("deliveryCount", record.deliveryCount());
            one.put("heldBy", record.holders());
            List<Map<String, Object>> running = new ArrayList<>();
            for (HandlerRun run : record.running()) {
                running.add(Map.of("subscription", run.subscriptionId(), "thread", run.thread(), "startedAt",
                        java.time.Instant.ofEpochMilli(run.startedAt()).toString()));
            }
            one.put("running", running);
            held.add(one);
        }
        out.put("oldestHeld", held);
        ShareStats stats = engine.shareStats();
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("acquired", stats.acquired());
        totals.put("accepted", stats.accepted());
        totals.put("released", stats.released());
        totals.put("rejected", stats.rejected());
        totals.put("lockWarnings", stats.lockWarnings());
        totals.put("expired", stats.expired());
        totals.put("lateCompletions", stats.lateCompletions());
        totals.put("acknowledgementFailures", stats.acknowledgementFailures());
        out.put("totals", totals);
        return out;
    }

}
