package io.ackflow.consumer.state;

import java.time.Instant;
import java.util.List;

/**
 * A share consumer's records as the poll thread published them: the records acquired by its last
 * poll and not yet settled, and the acquisition lock they are under. Immutable.
 *
 * @param group the share group
 * @param acquired records the last poll acquired that are not settled with the broker yet
 * @param acquiredAt when that poll returned; null when nothing is acquired
 * @param lockExpiresAt when their acquisition lock expires, by the engine's clock; null when
 *        nothing is acquired
 * @param lockWarning whether the records still held were reported as close to the lock's expiry
 * @param oldest per partition of the batch, the first record not yet released by every subscription
 */
public record ShareSnapshot(String group, int acquired, Instant acquiredAt, Instant lockExpiresAt, boolean lockWarning,
        List<HeldRecord> oldest) {

    /** Before the poll thread published anything. */
    public static final ShareSnapshot EMPTY = new ShareSnapshot("", 0, null, null, false, List.of());

    public ShareSnapshot {
        oldest = List.copyOf(oldest);
    }

    /**
     * One record still held.
     * @param record {@code topic-partition@offset}
     * @param deliveryCount its delivery count (1 the first time)
     * @param holders the subscriptions that have not released it
     * @param running the handlers running on it now
     */
    public record HeldRecord(String record, int deliveryCount, List<String> holders, List<HandlerRun> running) {

        public HeldRecord {
            holders = List.copyOf(holders);
            running = List.copyOf(running);
        }

    }

}
