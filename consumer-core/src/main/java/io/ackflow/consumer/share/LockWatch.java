package io.ackflow.consumer.share;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.ShareStats;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.state.HandlerRun;
import io.ackflow.consumer.state.ShareSnapshot;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Watches the acquisition lock of the batch in hand. Once four fifths of the lock have passed with
 * records not yet released by every subscription, it reports them once: a WARN naming the share
 * group, how many records are held, when the lock expires, and per partition the first record
 * held, with the subscriptions holding it and the handlers running on it (thread and age); the
 * {@code lockWarnings} count grows by the records held. At the lock's expiry the broker has given
 * the records up (it delivers them again, to any member): the loop writes them off
 * ({@link ShareLoop}), and this watch logs that too.
 * <p>
 * Threads: the poll thread only.
 */
final class LockWatch {

    private static final Logger logger = LoggerFactory.getLogger(LockWatch.class);

    private final String engineName;

    private final String group;

    private final Conductor conductor;

    private final ShareStats stats;

    LockWatch(String engineName, String group, Conductor conductor, ShareStats stats) {
        this.engineName = engineName;
        this.group = group;
        this.conductor = conductor;
        this.stats = stats;
    }

    /** Reports the records still held once the batch passed its warning time; once per batch. */
    void check(AcquiredBatch batch, long now) {
        if (batch.warned() || now < batch.warnAt() || batch.isDone()) {
            return;
        }
        batch.markWarned();
        this.stats.recordLockWarnings(batch.pendingCount());
        logger.warn("Share consumer '{}' (group '{}') holds {} record(s) acquired {} ms ago; their acquisition lock"
                + " expires in {} ms, then the broker delivers them again and what their handlers finish later is"
                + " not acknowledged. First held per partition: {}", this.engineName, this.group, batch.pendingCount(),
                now - batch.acquiredAt(), Math.max(0, batch.lockExpiresAt() - now), describe(held(batch), now));
    }

    /** Whether the batch's lock has expired at {@code now}. */
    boolean expired(AcquiredBatch batch, long now) {
        return now >= batch.lockExpiresAt();
    }

    /** Logs the records written off at the lock's expiry. */
    void writtenOff(AcquiredBatch batch, int count, long now) {
        logger.warn("Share consumer '{}' (group '{}'): the acquisition lock of {} record(s) expired before every"
                + " subscription released them; the broker delivers them again, and what their handlers finish"
                + " later is not acknowledged. First held per partition: {}", this.engineName, this.group, count,
                describe(held(batch), now));
    }

    /** The first record held per partition of the batch, as the snapshot shows it. */
    List<ShareSnapshot.HeldRecord> held(AcquiredBatch batch) {
        List<ShareSnapshot.HeldRecord> held = new ArrayList<>();
        for (TrackedRecord record : batch.oldestHeld()) {
            held.add(new ShareSnapshot.HeldRecord(record.toString(), record.raw().deliveryCount().orElse((short) 1),
                    record.holders(), this.conductor.runningHandlers(record)));
        }
        return held;
    }

    private static String describe(List<ShareSnapshot.HeldRecord> held, long now) {
        StringBuilder text = new StringBuilder();
        for (ShareSnapshot.HeldRecord record : held) {
            if (text.length() > 0) {
                text.append("; ");
            }
            text.append(record.record()).append(" (delivery ").append(record.deliveryCount()).append(") held by ")
                .append(record.holders());
            for (HandlerRun run : record.running()) {
                text.append(", '").append(run.subscriptionId()).append("' running on ").append(run.thread())
                    .append(" for ").append(now - run.startedAt()).append(" ms");
            }
        }
        return (text.length() > 0) ? text.toString() : "none";
    }

}
