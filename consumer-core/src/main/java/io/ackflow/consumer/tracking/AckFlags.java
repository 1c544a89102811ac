package io.ackflow.consumer.tracking;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The acked flags of an {@link AckWindow}, one bit per sequence number in a ring of {@code long}
 * words: {@value #FLAGS} flags to a word, the word's top bit being the <em>frozen</em> mark
 * (below). The ring's capacity is a power of two and a multiple of {@value #FLAGS}; sequence
 * number {@code seq} has the flag at {@code seq & (capacity - 1)}.
 *
 * <h2>Threads</h2>
 * {@link #set} is safe from <b>any thread</b> and lock-free: a compare-and-set on one word of the
 * current array, nothing else. Every other method belongs to the <b>owner</b> (the poll thread,
 * through its {@link AckWindow}): it alone scans ({@link #firstUnset}), reads single flags
 * ({@link #isSet}), clears words and {@link #grow grows} the ring.
 * <p>
 * The owner clears a word with a plain write once a scan has passed it. That is safe only while
 * no sequence number still to be set maps to the word, which the owner guarantees by keeping its
 * window at least one word below the capacity ({@link AckWindow#SLACK}).
 * <p>
 * Growth moves every flag exactly once. The owner publishes the new array, then freezes each old
 * word with an atomic OR of the frozen mark, which also reads the flags to copy. A setter's
 * compare-and-set on an old word either lands before the freeze (the copy carries it) or fails on
 * the frozen mark, and the setter then sets the flag in the array published now (the copy did not
 * carry it, so no scan can have passed that sequence number). No flag is ever written twice, so
 * none can reappear after the owner cleared its word.
 */
final class AckFlags {

    /** Flags per word; the top bit of a word is the frozen mark. */
    static final int FLAGS = 32;

    private static final long FLAG_MASK = 0xFFFF_FFFFL;

    private static final long FROZEN = Long.MIN_VALUE;

    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private static final VarHandle WORDS;

    static {
        try {
            WORDS = MethodHandles.lookup().findVarHandle(AckFlags.class, "words", long[].class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The current ring; published with a volatile write, read by setters. */
    @SuppressWarnings("unused") // accessed through WORDS
    private volatile long[] words;

    /** @param capacity flags in the ring: a power of two, at least {@value #FLAGS} */
    AckFlags(int capacity) {
        this.words = new long[capacity / FLAGS];
    }

    /**
     * Sets the flag of {@code seq}. Any thread. The caller guarantees that each sequence number is
     * set at most once while it is in the owner's window.
     */
    void set(long seq) {
        long[] words = (long[]) WORDS.getVolatile(this);
        while (true) {
            int index = (int) seq & (words.length * FLAGS - 1);
            int word = index / FLAGS;
            long flag = 1L << (index % FLAGS);
            long value = (long) WORD.getVolatile(words, word);
            if ((value & FROZEN) != 0) {
                // Growth froze this word before our flag landed: set it in the new array.
                words = (long[]) WORDS.getVolatile(this);
                continue;
            }
            if (WORD.compareAndSet(words, word, value, value | flag)) {
                return;
            }
        }
    }

    /**
     * The first sequence number in {@code [from, end)} whose flag is not set, or {@code end} when
     * all are. Reads a word at a time with one bit scan, and clears each word the scan leaves (all
     * its flags from {@code from} on are set). Owner only.
     */
    long firstUnset(long from, long end) {
        long[] words = (long[]) WORDS.getVolatile(this);
        int mask = words.length * FLAGS - 1;
        long seq = from;
        while (seq < end) {
            int index = (int) seq & mask;
            int bit = index % FLAGS;
            // Flags from seq up to the end of its word; the shift drops stale flags below seq.
            long flags = ((long) WORD.getVolatile(words, index / FLAGS) & FLAG_MASK) >>> bit;
            long run = Math.min(Long.numberOfTrailingZeros(~flags), end - seq);
            seq += run;
            if (run < FLAGS - bit) {
                break;
            }
            // The scan left this word: no sequence number still to be set maps to it until the
            // window laps it (the owner keeps a word of slack), so no setter can be writing it now.
            WORD.setVolatile(words, index / FLAGS, 0L);
        }
        return seq;
    }

    /** Whether the flag of {@code seq} is set. Owner only. */
    boolean isSet(long seq) {
        long[] words = (long[]) WORDS.getVolatile(this);
        int index = (int) seq & (words.length * FLAGS - 1);
        return ((long) WORD.getVolatile(words, index / FLAGS) & (1L << (index % FLAGS))) != 0;
    }

    /**
     * Moves to a ring of {@code capacity} flags, carrying the flags of the sequence numbers in
     * {@code [from, end)}; see the class comment for how it races with {@link #set}. Owner only.
     */
    void grow(long from, long end, int capacity) {
        long[] old = (long[]) WORDS.getVolatile(this);
        int oldMask = old.length * FLAGS - 1;
        int newMask = capacity - 1;
        long[] grown = new long[capacity / FLAGS];
        // Publish first, then freeze and copy.
        WORDS.setVolatile(this, grown);
        long[] frozen = new long[old.length];
        for (int word = 0; word < old.length; word++) {
            frozen[word] = (long) WORD.getAndBitwiseOr(old, word, FROZEN);
        }
        for (long seq = from; seq < end; seq++) {
            int oldIndex = (int) seq & oldMask;
            if ((frozen[oldIndex / FLAGS] & (1L << (oldIndex % FLAGS))) != 0) {
                int newIndex = (int) seq & newMask;
                WORD.getAndBitwiseOr(grown, newIndex / FLAGS, 1L << (newIndex % FLAGS));
            }
        }
    }

    /** Flags in the ring now. Owner only. */
    int capacity() {
        return ((long[]) WORDS.getVolatile(this)).length * FLAGS;
    }

}
