package io.ackflow.consumer.tracking;

import java.util.function.LongSupplier;
import java.util.BitSet;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One partition's assignment as the engine tracks it: the records poll delivered and which of
 * them are acked, the committable offset, the handlers running on its records, the offsets a
 * previous owner acked, and whether the assignment has ended.
 *
 * <h2>Terms</h2>
 * <ul>
 * <li><b>tracked</b>: poll delivered the record and {@link #track} recorded its offset; a record
 * that subscriptions will release is tracked by {@link #track(ConsumerRecord, String[], TrackedRecord.AckListener)},
 * which creates its {@link TrackedRecord}.</li>
 * <li><b>acked</b>: every subscription released the record; {@link #ack} marked it done.</li>
 * <li><b>committable</b>: the next offset to read after the longest run of acked records that
 * starts at the oldest record not yet committable; offsets poll never delivered count as done
 * (see {@link AckWindow}). When every tracked record is acked it is the consumer's position as
 * the last poll told it ({@link #readTo}), which also passes what poll read behind the last record
 * without delivering it: a transaction marker, aborted records, a compacted tail.</li>
 * <li><b>retired</b>: the assignment ended (revoked, lost, or sought away from); whatever still
 * completes for it is late.</li>
 * </ul>
 * Each job has a class of its own: {@link AckWindow} (with {@link AckFlags}) tracks, acks and
 * computes the committable offset, {@link DrainLatch} counts running handlers and waits for them,
 * {@link InheritedAcks} holds the previous owner's offset map.
 *
 * <h2>Threads</h2>
 * The <b>poll thread</b> owns this object: it alone calls {@link #startAt}, {@link #track},
 * {@link #readTo}, {@link #committable}, {@link #head}, {@link #ackedAboveHead}, {@link #ackedBefore},
 * {@link #pendingCount} and the tracked offsets. {@link #ack} is safe from <b>any thread</b> and
 * lock-free. The handler counts, the drain and retirement flags are safe from any thread;
 * {@link #awaitIdle} is the poll thread's.
 */
public final class OffsetTracker {

    private static final int DEFAULT_INITIAL_CAPACITY = 1024;

    private final TopicPartition partition;

    private final AckWindow window;

    private final DrainLatch drain = new DrainLatch();

    private final InheritedAcks inherited = new InheritedAcks();

    /** Set when the partition was revoked, lost or sought: acks that still arrive are late. */
    private volatile boolean retired;

    public OffsetTracker(TopicPartition partition) {
        this(partition, DEFAULT_INITIAL_CAPACITY);
    }

    /**
     * @param partition the partition this tracker is for (named in messages)
     * @param initialCapacity ring size before it first grows; rounded up to a power of two, at least 128
     */
    public OffsetTracker(TopicPartition partition, int initialCapacity) {
        this.partition = partition;
        this.window = new AckWindow(partition, initialCapacity);
    }

    public TopicPartition partition() {
        return this.partition;
    }

    /**
     * Starts the tracker at the consumer's position, before any record is fetched: until one is,
     * that is the committable offset (and a commit at it would move nothing). Ignored once a
     * record was tracked. Poll thread only.
     */
    public void startAt(long position) {
        this.window.startAt(position);
    }

    /**
     * The consumer's {@code position} after a poll whose records of this partition (if any) are
     * tracked, as {@code ConsumerRecords.nextOffsets()} tells it: poll delivers nothing below it
     * any more, so once every tracked record is acked it is committable, even past offsets poll
     * read without a record. A tracker with no start yet starts there. Forgotten when the next
     * record is tracked. Poll thread only.
     */
    public void readTo(long position) {
        this.window.readTo(position);
    }

    /**
     * Records that poll delivered the record at {@code offset}. Poll thread only. Offsets must
     * increase from one call to the next; a consumer that seeks back must start a new tracker.
     * @return the record's sequence number, to pass to {@link #ack}
     * @throws IllegalStateException if {@code offset} is not above the last tracked offset
     */
    public long track(long offset) {
        return this.window.track(offset, null);
    }

    /**
     * As {@link #track(long)}, keeping {@code attachment} with the offset until the head passes
     * it, for {@link #head()}.
     */
    public long track(long offset, Object attachment) {
        return this.window.track(offset, attachment);
    }

    /**
     * Tracks the polled record {@code raw} and holds it for the subscriptions named by
     * {@code holderIds} (by holder index) until each has released it; with none, acks it at once.
     * Poll thread only.
     * @return the record, its reference count set before any subscription can see it
     * @throws IllegalArgumentException if there are more than {@link TrackedRecord#MAX_HOLDERS}
     * holders; nothing is tracked then
     * @throws IllegalStateException if the record's offset is not above the last tracked offset
     */
    public TrackedRecord track(ConsumerRecord<byte[], byte[]> raw, String[] holderIds,
            TrackedRecord.AckListener listener) {
        TrackedRecord record = new TrackedRecord(raw, this, this.window.nextSeq(), holderIds, listener);
        admit(record);
        return record;
    }

    /** Tracks {@code record}, built with the window's next sequence number, and acks it if no subscription holds it. Poll thread only. */
    void admit(TrackedRecord record) {
        long seq = this.window.track(record.raw().offset(), record);
        assert seq == record.seq() : "record built with sequence number " + record.seq() + ", tracked as " + seq;
        if (!record.hasHolders()) {
            record.ack();
        }
    }

    /**
     * Marks the record with sequence number {@code seq} as acked. Safe from any thread. The caller
     * (reference counting) guarantees that each tracked record is acked at most once.
     */
    public void ack(long seq) {
        this.window.ack(seq);
    }

    /**
     * The next offset to read after the acked run at the head of the window, or -1 when nothing
     * was ever tracked. Moves the head past the acked run. Poll thread only.
     */
    public long committable() {
        return this.window.committable();
    }

    /**
     * The attachment of the first record that is not acked, as of the last {@link #committable}
     * call, or null when every tracked record is acked. Poll thread only.
     */
    public Object head() {
        return this.window.head();
    }

    /** A handler started on a record of this partition. Any thread. */
    public void handlerStarted() {
        this.drain.started();
    }

    /** A handler finished with a record of this partition; wakes a draining poll thread at zero. Any thread. */
    public void handlerFinished() {
        this.drain.finished();
    }

    /** Handlers running on records of this partition now. Any thread. */
    public int handlersRunning() {
        return this.drain.running();
    }

    /**
     * Waits until no handler runs on a record of this partition, or until {@code deadlineNanos}
     * on {@code ticker} (the engine's, {@code System::nanoTime} outside tests) passes. Poll thread.
     * @return whether the partition is idle
     */
    public boolean awaitIdle(long deadlineNanos, LongSupplier ticker) {
        return this.drain.awaitIdle(deadlineNanos, ticker);
    }

    /**
     * Marks this tracker as belonging to an ended assignment (revoked, lost, or sought away
     * from): whatever still completes for it is late and must not count. Any thread.
     */
    public void retire() {
        this.retired = true;
    }

    /**
     * The partition is being handed over: a record that fails from now on is left for the next
     * owner instead of waiting here for a retry. Any thread.
     */
    public void beginDrain() {
        this.drain.begin();
    }

    /** Whether {@link #beginDrain()} was called. Any thread. */
    public boolean isDraining() {
        return this.drain.isDraining();
    }

    /** Whether {@link #retire()} was called. Any thread. */
    public boolean isRetired() {
        return this.retired;
    }

    /**
     * The records acked above the head as an <em>offset map</em>: bit {@code i} is set when the
     * record at offset {@code committable() + i} is acked (bit 0, the head, never is). Empty when
     * nothing above the head is acked. Call after {@link #committable}. Poll thread only.
     */
    public BitSet ackedAboveHead() {
        return this.window.ackedAboveHead();
    }

    /**
     * Remembers the offsets a previous owner of the partition acked above its last commit
     * ({@code base}): {@link #ackedBefore(long)} answers for them. Poll thread only.
     */
    public void ackedBefore(long base, BitSet acked) {
        this.inherited.remember(base, acked);
    }

    /**
     * Whether a previous owner already acked the record at {@code offset}, so it must not be
     * handed to a subscription again. Offsets are asked in increasing order; the map is dropped
     * once they pass it. Poll thread only.
     */
    public boolean ackedBefore(long offset) {
        return this.inherited.contains(offset);
    }

    /** Tracked records not yet passed by the head (pending or acked above a gap), as of the last {@link #committable}. Poll thread only. */
    public long pendingCount() {
        return this.window.pendingCount();
    }

    /**
     * Offset of the first record this tracker was given, or -1: where reading started, so a
     * committable offset equal to it means nothing was acked yet. Poll thread only.
     */
    public long firstTrackedOffset() {
        return this.window.firstTrackedOffset();
    }

    /** Offset of the last tracked record, or -1. Poll thread only. */
    public long lastTrackedOffset() {
        return this.window.lastTrackedOffset();
    }

    /** Capacity of the window before it grows again. Poll thread only. */
    int capacity() {
        return this.window.capacity();
    }

    @Override
    public String toString() {
        return "OffsetTracker[" + this.partition + ", " + this.window + "]";
    }

}
