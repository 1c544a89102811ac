package io.ackflow.consumer.tracking;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A polled record with its reference count: which subscriptions still hold it.
 * <p>
 * {@link OffsetTracker#track(ConsumerRecord, String[], AckListener)} creates it on the poll thread,
 * tracking it in its partition's tracker with the count set in full before any subscription can see
 * the record. The count is a bit mask, one bit per subscription of the record's topic.
 * {@link #release} clears one bit with a compare-and-set from any thread; the release that clears
 * the last bit acks the record in the tracker. A second release by the same subscription throws
 * and changes nothing, so a bug in a handler path can never ack a record that another
 * subscription still holds.
 */
public final class TrackedRecord {

    private static final VarHandle HOLDERS;

    private static final VarHandle ATTACHMENT;

    static {
        try {
            HOLDERS = MethodHandles.lookup().findVarHandle(TrackedRecord.class, "holders", long.class);
            ATTACHMENT = MethodHandles.lookup().findVarHandle(TrackedRecord.class, "attachment", Object.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Most subscriptions one topic may have: one bit each in a {@code long}. */
    public static final int MAX_HOLDERS = 64;

    private final ConsumerRecord<byte[], byte[]> raw;

    private final OffsetTracker tracker;

    private final long seq;

    private final AckListener listener;

    /** Ids of the subscriptions by holder index; shared by all records of the topic. */
    private final String[] holderIds;

    @SuppressWarnings("unused") // accessed through HOLDERS
    private volatile long holders;

    /** What the dispatch layer keeps with the record for diagnostics; accessed through ATTACHMENT. */
    @SuppressWarnings("unused")
    private Object attachment;

    /**
     * Share consumers: how the broker is told the record was settled, the strongest outcome asked
     * winning; null (never written on the hot path) means {@link RecordOutcome#ACCEPT}.
     */
    private volatile RecordOutcome outcome;

    /**
     * A record with sequence number {@code seq} in {@code tracker}, held by every subscription
     * named by {@code holderIds} (by holder index). Builds the object only: the tracker tracks it.
     */
    TrackedRecord(ConsumerRecord<byte[], byte[]> raw, OffsetTracker tracker, long seq, String[] holderIds,
            AckListener listener) {
        int holderCount = holderIds.length;
        if (holderCount > MAX_HOLDERS) {
            throw new IllegalArgumentException("holderCount must be 0 to " + MAX_HOLDERS + ", was " + holderCount);
        }
        this.raw = raw;
        this.tracker = tracker;
        this.seq = seq;
        this.listener = listener;
        this.holderIds = holderIds;
        this.holders = (holderCount == MAX_HOLDERS) ? -1L : (1L << holderCount) - 1;
    }

    public ConsumerRecord<byte[], byte[]> raw() {
        return this.raw;
    }

    /**
     * Releases the record for the subscription at {@code holderIndex}. Safe from any thread.
     * @param holderIndex the subscription's index among the topic's subscriptions
     * @return whether this release acked the record
     * @throws IllegalStateException if this subscription already released the record
     */
    public boolean release(int holderIndex) {
        String holderId = this.holderIds[holderIndex];
        long bit = 1L << holderIndex;
        long current = (long) HOLDERS.getVolatile(this);
        while (true) {
            if ((current & bit) == 0) {
                throw new IllegalStateException("Subscription '" + holderId + "' released " + this.raw.topic() + "-"
                        + this.raw.partition() + "@" + this.raw.offset() + " a second time; each subscription"
                        + " releases a record exactly once");
            }
            long witness = (long) HOLDERS.compareAndExchange(this, current, current & ~bit);
            if (witness == current) {
                break;
            }
            current = witness;
        }
        if ((current & ~bit) == 0) {
            ack();
            return true;
        }
        return false;
    }

    /** A subscription took the record to run it (it counts as running for a drain from now on). Any thread. */
    public void taken() {
        this.tracker.handlerStarted();
    }

    /** A subscription that {@link #taken took} the record is done with it. Any thread. */
    public void finished() {
        this.tracker.handlerFinished();
    }

    /** The tracker of the assignment the record was fetched in. */
    public OffsetTracker tracker() {
        return this.tracker;
    }

    /** Whether the record belongs to an assignment that has ended (its partition was revoked, lost or sought). */
    public boolean isLate() {
        return this.tracker.isRetired();
    }

    /** Ids of the subscriptions that have not released the record yet. */
    public java.util.List<String> holders() {
        long mask = (long) HOLDERS.getVolatile(this);
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < this.holderIds.length; i++) {
            if ((mask & (1L << i)) != 0) {
                ids.add(this.holderIds[i]);
            }
        }
        return ids;
    }

    /** Whether the subscription at {@code holderIndex} still holds the record. */
    public boolean isHeldBy(int holderIndex) {
        return ((long) HOLDERS.getVolatile(this) & (1L << holderIndex)) != 0;
    }

    /**
     * Attaches what the layer that hands the record to its subscriptions keeps with it (its
     * deliveries, for the stuck-partition diagnostics), once, on the poll thread before any
     * handler can see the record; opaque to tracking.
     */
    public void attach(Object attachment) {
        ATTACHMENT.setRelease(this, attachment);
    }

    /** What {@link #attach} attached, or null. Any thread. */
    public Object attachment() {
        return ATTACHMENT.getAcquire(this);
    }

    /** Whether any subscription holds the record from the start; one that none does is acked at once. */
    boolean hasHolders() {
        return this.holderIds.length > 0;
    }

    long seq() {
        return this.seq;
    }

    /** Acks the record in its tracker and tells the listener, on the thread of the last release. */
    void ack() {
        this.tracker.ack(this.seq);
        this.listener.acked(this);
    }

    /**
     * Share consumers: asks that the record be settled with the broker as {@code outcome} rather
     * than accepted, once every subscription released it; of several subscriptions' outcomes, the
     * strongest ({@link RecordOutcome#REJECT} over {@link RecordOutcome#RELEASE} over
     * {@link RecordOutcome#ACCEPT}) wins. Called before the subscription's release, on its thread;
     * the release that clears the last holder publishes it to whoever reads {@link #outcome()}.
     */
    public synchronized void settleAs(RecordOutcome outcome) {
        if (outcome.compareTo(outcome()) > 0) {
            this.outcome = outcome;
        }
    }

    /** How the record is to be settled with the broker of a share group; {@code ACCEPT} unless a recovery asked otherwise. */
    public RecordOutcome outcome() {
        RecordOutcome settled = this.outcome;
        return (settled != null) ? settled : RecordOutcome.ACCEPT;
    }

    @Override
    public String toString() {
        return this.raw.topic() + "-" + this.raw.partition() + "@" + this.raw.offset();
    }

    /** Told of each ack, on the thread of the last release. */
    @FunctionalInterface
    public interface AckListener {

        void acked(TrackedRecord record);

    }

}
