package io.ackflow.consumer.tracking;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.common.TopicPartition;

/**
 * The acked/pending state of the records of one partition that poll delivered and that are
 * not yet committed, and the partition's committable offset.
 *
 * <h2>Terms</h2>
 * <ul>
 * <li><b>tracked</b>: poll delivered the record and {@link #track} recorded its offset.</li>
 * <li><b>acked</b>: every subscription released the record; {@link #ack} marked it done.</li>
 * <li><b>committable</b>: the next offset to read after the longest run of acked records that
 * starts at the head of the window: the offset of the first tracked record that is not acked, or,
 * when every tracked record is acked, the offset after the last one. Offsets that poll never
 * delivered (compaction gaps, transaction markers, aborted records) lie between tracked offsets
 * and count as done: contiguity is computed over the tracked offsets, never by arithmetic on
 * offset values, so one missing offset can never let the commit slip past an in-flight record.</li>
 * </ul>
 *
 * <h2>Structure</h2>
 * Each tracked record gets a <em>sequence number</em>: 0 for the first record tracked, 1 for the
 * next, and so on. The window holds the sequence numbers {@code [head, tail)}: a ring of offsets
 * ({@code long[]}) and a ring of acked flags packed {@value #FLAGS} to a {@code long} word (the
 * word's top bit is the <em>frozen</em> mark, below). Both rings have a power-of-two capacity and
 * double when the window comes within {@value #SLACK} records of it; after warm-up, {@code track},
 * {@code ack} and {@link #committable} allocate nothing and are O(1) amortized.
 * {@link #committable} reads a word at a time and finds the first unacked record with one bit
 * scan; it clears a word only once the head has left it, with a plain write: the slack
 * guarantees that no tracked record maps to that word until the head has left it.
 *
 * <h2>Threads</h2>
 * The <b>poll thread</b> owns this object: it alone calls {@link #track}, {@link #committable},
 * {@link #pendingCount} and {@link #head}, and it alone moves {@code head} and {@code tail},
 * grows the rings and clears the words the head has left. {@link #ack} is safe from <b>any
 * thread</b>: it sets one flag with a compare-and-set on the current flag array and touches
 * nothing else.
 * <p>
 * Growth moves every ack exactly once. The poll thread publishes the new flag array, then
 * <em>freezes</em> each old word with an atomic OR of the frozen mark, which also reads the flags
 * to copy. An acker's compare-and-set on an old word either lands before the freeze (the copy
 * carries it) or fails on the frozen mark, and the acker then sets the flag in the array
 * published now (the copy did not carry it, so the head cannot have passed that record). No flag
 * is ever written twice, so none can reappear after the head has cleared its word.
 */
public final class OffsetTracker {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle BITS;

    static {
        try {
            BITS = MethodHandles.lookup().findVarHandle(OffsetTracker.class, "bits", long[].class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private static final int DEFAULT_INITIAL_CAPACITY = 1024;

    /** Acked flags per word; the top bit of a word is the frozen mark. */
    static final int FLAGS = 32;

    private static final long FLAG_MASK = 0xFFFF_FFFFL;

    private static final long FROZEN = Long.MIN_VALUE;

    /** Records the window stays below its capacity: at least one word, see the class comment. */
    static final int SLACK = 64;

    private final TopicPartition partition;

    /** Acked flags by sequence number; published with a volatile write, read by ackers. */
    @SuppressWarnings("unused") // accessed through BITS
    private volatile long[] bits;

    /** Offsets by sequence number. Poll thread only. */
    private long[] offsets;

    /** What the caller attached to each tracked offset (its record), by sequence number; cleared behind the head. Poll thread only. */
    private Object[] attachments;

    /** First sequence number in the window (the oldest record not yet known to be committable). Poll thread only. */
    private long head;

    /** Next sequence number to hand out. Poll thread only. */
    private long tail;

    /** Offset of the last tracked record, or -1 before the first. Poll thread only. */
    private long lastOffset = -1;

    /** Offset of the first tracked record, or -1 before it. Poll thread only. */
    private long firstOffset = -1;

    /** Committable offset as of the last {@link #committable} call, or -1 before the first record. Poll thread only. */
    private long committable = -1;

    /** Handlers running on records of this partition now. Any thread. */
    private final AtomicInteger handlersRunning = new AtomicInteger();

    /** Set when the partition was revoked, lost or sought: acks that still arrive are late. */
    private volatile boolean retired;

    /** Set when a revoke starts draining the partition: failed records are no longer retried here. */
    private volatile boolean draining;

    /** The poll thread while it waits for running handlers to finish (a drain), else null. */
    private volatile Thread drainWaiter;

    /** Offsets a previous owner acked above its last commit, as an offset map from {@link #ackedBeforeBase}; null when none. Poll thread only. */
    private BitSet ackedBefore;

    private long ackedBeforeBase = -1;

    public OffsetTracker(TopicPartition partition) {
        this(partition, DEFAULT_INITIAL_CAPACITY);
    }

    /**
     * @param partition the partition this tracker is for (named in messages)
     * @param initialCapacity ring size before it first grows; rounded up to a power of two, at least 128
     */
    public OffsetTracker(TopicPartition partition, int initialCapacity) {
        if (initialCapacity <= 0) {
            throw new IllegalArgumentException("initialCapacity must be positive, was " + initialCapacity);
        }
        this.partition = partition;
        int capacity = Math.max(128, Integer.highestOneBit(initialCapacity - 1) << 1);
        this.offsets = new long[capacity];
        this.attachments = new Object[capacity];
        this.bits = new long[capacity / FLAGS];
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
        if (this.lastOffset < 0 && position >= 0) {
            this.committable = position;
            this.firstOffset = position;
        }
    }

    /**
     * Records that poll delivered the record at {@code offset}. Poll thread only. Offsets must
     * increase from one call to the next; a consumer that seeks back must start a new tracker.
     * @return the record's sequence number, to pass to {@link #ack}
     * @throws IllegalStateException if {@code offset} is not above the last tracked offset
     */
    public long track(long offset) {
        return track(offset, null);
    }

    /**
     * As {@link #track(long)}, keeping {@code attachment} with the offset until the head passes
     * it, for {@link #head()}.
     */
    public long track(long offset, Object attachment) {
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
        if (this.committable < 0) {
            this.committable = offset;
            this.firstOffset = offset;
        }
        return seq;
    }

    /**
     * Marks the record with sequence number {@code seq} as acked. Safe from any thread. The caller
     * (reference counting) guarantees that each tracked record is acked at most once.
     */
    public void ack(long seq) {
        long[] words = (long[]) BITS.getVolatile(this);
        while (true) {
            int index = (int) seq & (words.length * FLAGS - 1);
            int word = index / FLAGS;
            long flag = 1L << (index % FLAGS);
            long value = (long) WORDS.getVolatile(words, word);
            if ((value & FROZEN) != 0) {
                // Growth froze this word before our flag landed: set it in the new array.
                words = (long[]) BITS.getVolatile(this);
                continue;
            }
            if (WORDS.compareAndSet(words, word, value, value | flag)) {
                return;
            }
        }
    }

    /**
     * The next offset to read after the acked run at the head of the window, or -1 when nothing
     * was ever tracked. Moves the head past the acked run and clears its bits. Poll thread only.
     */
    public long committable() {
        long[] words = (long[]) BITS.getVolatile(this);
        int mask = words.length * FLAGS - 1;
        long start = this.head;
        long seq = start;
        long end = this.tail;
        while (seq < end) {
            int index = (int) seq & mask;
            int bit = index % FLAGS;
            // Acked flags from seq up to the end of its word; the shift drops stale flags below seq.
            long flags = ((long) WORDS.getVolatile(words, index / FLAGS) & FLAG_MASK) >>> bit;
            long run = Math.min(Long.numberOfTrailingZeros(~flags), end - seq);
            seq += run;
            if (run < FLAGS - bit) {
                break;
            }
            // The head left this word: no tracked record maps to it until the tail laps it (the
            // window keeps SLACK records of slack), so no acker can be setting a flag in it now.
            WORDS.setVolatile(words, index / FLAGS, 0L);
        }
        int slots = this.attachments.length - 1;
        for (long passed = start; passed < seq; passed++) {
            this.attachments[(int) passed & slots] = null;
        }
        this.head = seq;
        if (seq < end) {
            this.committable = this.offsets[(int) seq & (this.offsets.length - 1)];
        }
        else if (this.lastOffset >= 0) {
            this.committable = this.lastOffset + 1;
        }
        return this.committable;
    }

    /**
     * The attachment of the first record that is not acked, as of the last {@link #committable}
     * call, or null when every tracked record is acked. Poll thread only.
     */
    public Object head() {
        return (this.head < this.tail) ? this.attachments[(int) this.head & (this.attachments.length - 1)] : null;
    }

    /** A handler started on a record of this partition. Any thread. */
    public void handlerStarted() {
        this.handlersRunning.incrementAndGet();
    }

    /** A handler finished with a record of this partition; wakes a draining poll thread at zero. Any thread. */
    public void handlerFinished() {
        if (this.handlersRunning.decrementAndGet() == 0) {
            Thread waiter = this.drainWaiter;
            if (waiter != null) {
                LockSupport.unpark(waiter);
            }
        }
    }

    /** Handlers running on records of this partition now. Any thread. */
    public int handlersRunning() {
        return this.handlersRunning.get();
    }

    /**
     * Waits until no handler runs on a record of this partition, or until {@code deadlineNanos}
     * ({@link System#nanoTime()}) passes: a drain needs real time whatever clock the engine
     * runs commits on. Poll thread.
     * @return whether the partition is idle
     */
    public boolean awaitIdle(long deadlineNanos) {
        this.drainWaiter = Thread.currentThread();
        try {
            while (this.handlersRunning.get() > 0) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, remaining);
            }
            return true;
        }
        finally {
            this.drainWaiter = null;
        }
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
        this.draining = true;
    }

    /** Whether {@link #beginDrain()} was called. Any thread. */
    public boolean isDraining() {
        return this.draining;
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
        BitSet acked = new BitSet();
        if (this.head >= this.tail) {
            return acked;
        }
        long[] words = (long[]) BITS.getVolatile(this);
        int mask = words.length * FLAGS - 1;
        long base = this.committable;
        for (long seq = this.head + 1; seq < this.tail; seq++) {
            int index = (int) seq & mask;
            if (((long) WORDS.getVolatile(words, index / FLAGS) & (1L << (index % FLAGS))) != 0) {
                long relative = this.offsets[(int) seq & (this.offsets.length - 1)] - base;
                if (relative > Integer.MAX_VALUE) {
                    break;
                }
                acked.set((int) relative);
            }
        }
        return acked;
    }

    /**
     * Remembers the offsets a previous owner of the partition acked above its last commit
     * ({@code base}): {@link #ackedBefore} answers for them. Poll thread only.
     */
    public void ackedBefore(long base, BitSet acked) {
        if (acked != null && !acked.isEmpty() && base >= 0) {
            this.ackedBefore = acked;
            this.ackedBeforeBase = base;
        }
    }

    /**
     * Whether a previous owner already acked the record at {@code offset}, so it must not be
     * handed to a subscription again. Offsets are asked in increasing order; the map is dropped
     * once they pass it. Poll thread only.
     */
    public boolean ackedBefore(long offset) {
        BitSet acked = this.ackedBefore;
        if (acked == null) {
            return false;
        }
        long relative = offset - this.ackedBeforeBase;
        if (relative >= acked.length()) {
            this.ackedBefore = null;
            return false;
        }
        return relative >= 0 && acked.get((int) relative);
    }

    /** Tracked records not yet passed by the head (pending or acked above a gap), as of the last {@link #committable}. Poll thread only. */
    public long pendingCount() {
        return this.tail - this.head;
    }

    /**
     * Offset of the first record this tracker was given, or -1: where reading started, so a
     * committable offset equal to it means nothing was acked yet. Poll thread only.
     */
    public long firstTrackedOffset() {
        return this.firstOffset;
    }

    /** Offset of the last tracked record, or -1. Poll thread only. */
    public long lastTrackedOffset() {
        return this.lastOffset;
    }

    /** Capacity of the window before it grows again. Poll thread only. */
    int capacity() {
        return this.offsets.length;
    }

    private void grow() {
        long[] oldOffsets = this.offsets;
        long[] oldBits = (long[]) BITS.getVolatile(this);
        int oldMask = oldOffsets.length - 1;
        int capacity = oldOffsets.length << 1;
        if (capacity <= 0) {
            throw new IllegalStateException("Too many unacked records in " + this.partition);
        }
        int newMask = capacity - 1;
        long[] newOffsets = new long[capacity];
        Object[] newAttachments = new Object[capacity];
        long[] newBits = new long[capacity / FLAGS];
        // Publish first, then freeze and copy: see the class comment.
        BITS.setVolatile(this, newBits);
        long[] frozen = new long[oldBits.length];
        for (int word = 0; word < oldBits.length; word++) {
            frozen[word] = (long) WORDS.getAndBitwiseOr(oldBits, word, FROZEN);
        }
        for (long seq = this.head; seq < this.tail; seq++) {
            int from = (int) seq & oldMask;
            int to = (int) seq & newMask;
            newOffsets[to] = oldOffsets[from];
            newAttachments[to] = this.attachments[from];
            if ((frozen[from / FLAGS] & (1L << (from % FLAGS))) != 0) {
                WORDS.getAndBitwiseOr(newBits, to / FLAGS, 1L << (to % FLAGS));
            }
        }
        this.offsets = newOffsets;
        this.attachments = newAttachments;
    }

    @Override
    public String toString() {
        return "OffsetTracker[" + this.partition + ", committable=" + this.committable + ", window="
                + (this.tail - this.head) + "]";
    }

}
