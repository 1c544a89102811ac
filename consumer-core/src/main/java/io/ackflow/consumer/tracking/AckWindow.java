package io.ackflow.consumer.tracking;

import java.util.BitSet;

import org.apache.kafka.common.TopicPartition;

/**
 * The records of one partition that poll delivered and that the committable offset has not yet
 * passed, with their acked flags, and the partition's committable offset.
 *
 * <h2>Structure</h2>
 * Each tracked record gets a <em>sequence number</em>: 0 for the first record tracked, 1 for the
 * next, and so on. The window holds the sequence numbers {@code [head, tail)}: a ring of offsets
 * ({@code long[]}), a ring of attachments, and the acked flags ({@link AckFlags}). The rings have
 * one power-of-two capacity and double when the window comes within {@value #SLACK} records of it;
 * after warm-up, {@link #track}, {@link #ack} and {@link #committable} allocate nothing and are
 * O(1) amortized.
 *
 * <h2>Committable</h2>
 * The committable offset is the next offset to read after the acked run at the head of the window:
 * the offset of the first tracked record that is not acked, or, when every tracked record is acked,
 * the offset after the last one, or the consumer's position when a poll told one beyond it
 * ({@link #readTo}). Offsets that poll never delivered (compaction gaps, transaction markers,
 * aborted records) lie between tracked offsets and count as done: contiguity is computed over
 * sequence numbers, never by arithmetic on offset values, so one missing offset can never let the
 * commit slip past an in-flight record. Behind the last tracked record such offsets are passed
 * only through the position, and only while nothing is pending.
 *
 * <h2>Threads</h2>
 * The <b>poll thread</b> owns this object: it alone calls every method but {@link #ack}, moves
 * {@code head} and {@code tail} and grows the rings. {@link #ack} is safe from <b>any thread</b>: it
 * sets one flag lock-free and touches nothing else.
 */
final class AckWindow {

    private static final int MIN_CAPACITY = 128;

    /** Records the window stays below its capacity: at least one word of flags, see {@link AckFlags}. */
    static final int SLACK = 64;

    private final TopicPartition partition;

    /** Acked flags by sequence number. Set from any thread, read and cleared by the poll thread. */
    private final AckFlags acked;

    /** Offsets by sequence number. */
    private long[] offsets;

    /** What the caller attached to each tracked offset (its record), by sequence number; cleared behind the head. */
    private Object[] attachments;

    /** First sequence number in the window (the oldest record not yet known to be committable). */
    private long head;

    /** Next sequence number to hand out. */
    private long tail;

    /** Offset of the last tracked record, or -1 before the first. */
    private long lastOffset = -1;

    /** Offset of the first tracked record (or the start position), or -1 before it. */
    private long firstOffset = -1;

    /** Committable offset as of the last {@link #committable} call, or -1 before the first record. */
    private long committable = -1;

    /** The consumer's position as a poll told it after the last tracked record, or -1; see {@link #readTo}. */
    private long position = -1;

    /**
     * @param partition the partition the window is for (named in messages)
     * @param initialCapacity ring size before it first grows; rounded up to a power of two, at least 128
     */
    AckWindow(TopicPartition partition, int initialCapacity) {
        if (initialCapacity <= 0) {
            throw new IllegalArgumentException("initialCapacity must be positive, was " + initialCapacity);
        }
        this.partition = partition;
        int capacity = Math.max(MIN_CAPACITY, Integer.highestOneBit(initialCapacity - 1) << 1);
        this.offsets = new long[capacity];
        this.attachments = new Object[capacity];
        this.acked = new AckFlags(capacity);
    }

    /** Takes {@code position} as the committable offset until a record is tracked; ignored once one was. */
    void startAt(long position) {
        if (this.lastOffset < 0 && position >= 0) {
            this.committable = position;
            this.firstOffset = position;
        }
    }

    /**
     * Takes the consumer's {@code position}, as a poll told it once its records were tracked: poll
     * delivers nothing below it any more, so when every tracked record is acked it is the
     * committable offset, past offsets read without a record (a transaction marker, aborted
     * records, a compacted tail). Before the window has a start it becomes the start. Forgotten
     * when the next record is tracked, whose poll tells the position again.
     */
    void readTo(long position) {
        if (this.firstOffset < 0) {
            startAt(position);
        }
        else if (position > this.position) {
            this.position = position;
        }
    }

    /** The sequence number the next {@link #track} call returns. */
    long nextSeq() {
        return this.tail;
    }

    /**
     * Adds the record at {@code offset}, keeping {@code attachment} until the head passes it.
     * @return the record's sequence number, to pass to {@link #ack}
     * @throws IllegalStateException if {@code offset} is not above the last tracked offset
     */
    long track(long offset, Object attachment) {
        if (offset <= this.lastOffset) {
            throw new IllegalStateException("Offset " + offset + " of " + this.partition
                    + " is not above the last tracked offset " + this.lastOffset
                    + "; a partition that is re-read from an earlier offset needs a new tracker");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("Offset of " + this.partition + " must not be negative, was " + offset);
        }
        if (this.tail - this.head >= this.offsets.length - SLACK) {
            grow();
        }
        long seq = this.tail;
        int slot = (int) seq & (this.offsets.length - 1);
        this.offsets[slot] = offset;
        this.attachments[slot] = attachment;
        this.tail = seq + 1;
        this.lastOffset = offset;
        this.position = -1;
        if (this.committable < 0) {
            this.committable = offset;
            this.firstOffset = offset;
        }
        return seq;
    }

    /** Marks the record with sequence number {@code seq} as acked. Any thread; at most once per record. */
    void ack(long seq) {
        this.acked.set(seq);
    }

    /**
     * The next offset to read after the acked run at the head of the window (the position told by
     * {@link #readTo} when that run is every tracked record and the position lies beyond), or -1
     * when nothing was ever tracked or started at. Moves the head past the acked run, dropping its
     * attachments.
     */
    long committable() {
        long start = this.head;
        long end = this.tail;
        long seq = this.acked.firstUnset(start, end);
        int slots = this.attachments.length - 1;
        for (long passed = start; passed < seq; passed++) {
            this.attachments[(int) passed & slots] = null;
        }
        this.head = seq;
        if (seq < end) {
            this.committable = this.offsets[(int) seq & (this.offsets.length - 1)];
        }
        else {
            if (this.lastOffset >= 0) {
                this.committable = this.lastOffset + 1;
            }
            this.committable = Math.max(this.committable, this.position);
        }
        return this.committable;
    }

    /** The attachment of the record at the head, or null when the window is empty, as of the last {@link #committable}. */
    Object head() {
        return (this.head < this.tail) ? this.attachments[(int) this.head & (this.attachments.length - 1)] : null;
    }

    /**
     * The records acked above the head as an <em>offset map</em>: bit {@code i} is set when the
     * record at offset {@code committable() + i} is acked (bit 0, the head, never is). Empty when
     * nothing above the head is acked. Call after {@link #committable}.
     */
    BitSet ackedAboveHead() {
        BitSet map = new BitSet();
        if (this.head >= this.tail) {
            return map;
        }
        long base = this.committable;
        for (long seq = this.head + 1; seq < this.tail; seq++) {
            if (this.acked.isSet(seq)) {
                long relative = this.offsets[(int) seq & (this.offsets.length - 1)] - base;
                if (relative > Integer.MAX_VALUE) {
                    break;
                }
                map.set((int) relative);
            }
        }
        return map;
    }

    /** Tracked records the head has not passed (pending, or acked above one that is), as of the last {@link #committable}. */
    long pendingCount() {
        return this.tail - this.head;
    }

    /** Offset of the first tracked record or the start position, or -1. */
    long firstTrackedOffset() {
        return this.firstOffset;
    }

    /** Offset of the last tracked record, or -1. */
    long lastTrackedOffset() {
        return this.lastOffset;
    }

    /** Records the window holds before it grows again. */
    int capacity() {
        return this.offsets.length;
    }

    private void grow() {
        long[] oldOffsets = this.offsets;
        Object[] oldAttachments = this.attachments;
        int oldMask = oldOffsets.length - 1;
        int capacity = oldOffsets.length << 1;
        if (capacity <= 0) {
            throw new IllegalStateException("Too many unacked records in " + this.partition);
        }
        int newMask = capacity - 1;
        long[] newOffsets = new long[capacity];
        Object[] newAttachments = new Object[capacity];
        this.acked.grow(this.head, this.tail, capacity);
        for (long seq = this.head; seq < this.tail; seq++) {
            int from = (int) seq & oldMask;
            int to = (int) seq & newMask;
            newOffsets[to] = oldOffsets[from];
            newAttachments[to] = oldAttachments[from];
        }
        this.offsets = newOffsets;
        this.attachments = newAttachments;
    }

    @Override
    public String toString() {
        return "committable=" + this.committable + ", window=" + (this.tail - this.head);
    }

}
