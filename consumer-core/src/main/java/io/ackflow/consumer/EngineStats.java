package io.ackflow.consumer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/**
 * Running totals of one engine, safe to update and read from any thread. A read is a moment's
 * view: two counters read one after the other may disagree by the records in between.
 */
public final class EngineStats {

    /** By subscription id, in no particular order. */
    private final Map<String, SubscriptionStats> subscriptions = new ConcurrentHashMap<>();

    private final LongAdder received = new LongAdder();

    private final LongAdder acked = new LongAdder();

    private final LongAdder commits = new LongAdder();

    private final LongAdder commitFailures = new LongAdder();

    private final LongAdder stuckPartitionReports = new LongAdder();

    private final LongAdder lateAcks = new LongAdder();

    private final LongAdder droppedOnRebalance = new LongAdder();

    private final LongAdder alreadyAcked = new LongAdder();

    private final LongAdder offsetMapsTooLarge = new LongAdder();

    private final LongAdder transactionsCommitted = new LongAdder();

    private final LongAdder transactionsAborted = new LongAdder();

    /** The totals of subscription {@code id}, created at its first use. */
    public SubscriptionStats subscription(String id) {
        return this.subscriptions.computeIfAbsent(id, (k) -> new SubscriptionStats());
    }

    /** The totals of every subscription that has some, by id. */
    public Map<String, SubscriptionStats> subscriptions() {
        return Map.copyOf(this.subscriptions);
    }

    private long sum(ToLongFunction<SubscriptionStats> counter) {
        long total = 0;
        for (SubscriptionStats stats : this.subscriptions.values()) {
            total += counter.applyAsLong(stats);
        }
        return total;
    }

    /** Records that poll delivered. */
    public long received() {
        return this.received.sum();
    }

    /** Records released by every subscription of their topic. */
    public long acked() {
        return this.acked.sum();
    }

    /** Handler invocations that completed normally. */
    public long handled() {
        return sum(SubscriptionStats::handled);
    }

    /**
     * Records a subscription failed on for good: its handler failed and was not retried again, or
     * the record could not be deserialized. Each is then skipped, dead-lettered or stops the engine,
     * as the subscription's error policy says. Counted once per subscription and record.
     */
    public long failed() {
        return sum(SubscriptionStats::failed);
    }

    /** Retries of failed handlers scheduled (one per further attempt). */
    public long retried() {
        return sum(SubscriptionStats::retried);
    }

    /** Records published to a dead-letter topic (once per subscription and record). */
    public long deadLettered() {
        return sum(SubscriptionStats::deadLettered);
    }

    /** Records a handler declined with {@code SkipRecordException}. */
    public long skipped() {
        return sum(SubscriptionStats::skipped);
    }

    /** Offset commits that the broker confirmed. */
    public long commits() {
        return this.commits.sum();
    }

    /** Offset commits that failed (retried at the next deadline). */
    public long commitFailures() {
        return this.commitFailures.sum();
    }

    /** Stuck-partition (commit livelock) warnings logged. */
    public long stuckPartitionReports() {
        return this.stuckPartitionReports.sum();
    }

    /**
     * Records acked after their partition was revoked, lost or sought away from: ignored, since
     * the partition's next owner (or the new position) decides what is read again.
     */
    public long lateAcks() {
        return this.lateAcks.sum();
    }

    /** Queued deliveries dropped because their partition was revoked, lost or sought away from. */
    public long droppedOnRebalance() {
        return this.droppedOnRebalance.sum();
    }

    /**
     * Records fetched that a previous owner of their partition had already acked (it said so in its
     * last commit's offset map): acked at once, not handed to any subscription.
     */
    public long alreadyAcked() {
        return this.alreadyAcked.sum();
    }

    /** Commits held back by a gap whose offset map did not fit in the metadata limit, so went without it. */
    public long offsetMapsTooLarge() {
        return this.offsetMapsTooLarge.sum();
    }

    public void recordAlreadyAcked(int count) {
        this.alreadyAcked.add(count);
    }

    /** Exactly-once: transactions committed with their offsets. */
    public long transactionsCommitted() {
        return this.transactionsCommitted.sum();
    }

    /** Exactly-once: transactions aborted (a handler failed, a commit failed, a partition was lost, a stop on failure). */
    public long transactionsAborted() {
        return this.transactionsAborted.sum();
    }

    public void recordTransactionCommitted() {
        this.transactionsCommitted.increment();
    }

    public void recordTransactionAborted() {
        this.transactionsAborted.increment();
    }

    public void recordOffsetMapTooLarge() {
        this.offsetMapsTooLarge.increment();
    }

    public void recordLateAck() {
        this.lateAcks.increment();
    }

    public void recordDroppedOnRebalance(int count) {
        this.droppedOnRebalance.add(count);
    }

    public void recordStuckPartition() {
        this.stuckPartitionReports.increment();
    }

    public void recordReceived(int count) {
        this.received.add(count);
    }

    public void recordAcked() {
        this.acked.increment();
    }

    public void recordCommit() {
        this.commits.increment();
    }

    public void recordCommitFailure() {
        this.commitFailures.increment();
    }

    @Override
    public String toString() {
        return "EngineStats[received=" + received() + ", acked=" + acked() + ", handled=" + handled() + ", failed="
                + failed() + ", retried=" + retried() + ", deadLettered=" + deadLettered() + ", skipped=" + skipped()
                + ", commits=" + commits() + ", commitFailures=" + commitFailures() + ", stuckPartitionReports=" + stuckPartitionReports() + ", lateAcks=" + lateAcks()
                + ", droppedOnRebalance=" + droppedOnRebalance() + ", alreadyAcked=" + alreadyAcked()
                + ", offsetMapsTooLarge=" + offsetMapsTooLarge() + ", transactionsCommitted=" + transactionsCommitted()
                + ", transactionsAborted=" + transactionsAborted() + "]";
    }

}
