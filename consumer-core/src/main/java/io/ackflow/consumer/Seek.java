package io.ackflow.consumer;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a seek moves a partition: an offset, its beginning, its end, the first record at or after
 * a timestamp, or the offset its consumer group committed. The poll thread turns it into an
 * offset per partition when it applies the seek, asking the broker where the beginning, the end
 * and the timestamps are.
 * <p>
 * Immutable; any thread.
 */
public final class Seek {

    /** What a seek is relative to. */
    public enum Kind {

        /** A given offset. */
        OFFSET,

        /** The partition's first offset (its log start, after retention). */
        BEGINNING,

        /** The partition's end: the offset after its last record (for {@code read_committed}, its last stable offset). */
        END,

        /** The first record whose timestamp is at or after a given one; the end when there is none. */
        TIMESTAMP,

        /**
         * The group's committed offset, and the offsets acked above it that its offset map names,
         * which are skipped as after an assignment.
         */
        COMMITTED

    }

    private static final Seek BEGINNING = new Seek(Kind.BEGINNING, -1);

    private static final Seek END = new Seek(Kind.END, -1);

    private static final Seek COMMITTED = new Seek(Kind.COMMITTED, -1);

    private final Kind kind;

    /** The offset, or the timestamp in epoch milliseconds; -1 for the other kinds. */
    private final long value;

    private Seek(Kind kind, long value) {
        this.kind = kind;
        this.value = value;
    }

    /**
     * To {@code offset}, the offset of the next record to read.
     * @throws IllegalArgumentException when it is negative
     */
    public static Seek toOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("Offset to seek to must not be negative, was " + offset);
        }
        return new Seek(Kind.OFFSET, offset);
    }

    /** To each partition's first offset. */
    public static Seek toBeginning() {
        return BEGINNING;
    }

    /** To each partition's end: only records written from now on are read. */
    public static Seek toEnd() {
        return END;
    }

    /**
     * To the first record of each partition whose timestamp is at or after {@code timestamp}; to
     * the end of a partition that has none.
     * @throws IllegalArgumentException when it is before 1970
     */
    public static Seek toTimestamp(Instant timestamp) {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        if (timestamp.isBefore(Instant.EPOCH)) {
            throw new IllegalArgumentException("Timestamp to seek to must not be before 1970, was " + timestamp);
        }
        return new Seek(Kind.TIMESTAMP, timestamp.toEpochMilli());
    }

    /**
     * To the offset the consumer group committed for each partition: records acked since the last
     * commit are read again; those its offset map names as acked above the committed offset are
     * skipped, as a new owner of the partition would. A partition without a committed offset fails
     * the seek.
     */
    public static Seek toCommitted() {
        return COMMITTED;
    }

    public Kind kind() {
        return this.kind;
    }

    /**
     * The offset of a seek {@link #toOffset to an offset}.
     * @throws IllegalStateException for another kind
     */
    public long offset() {
        if (this.kind != Kind.OFFSET) {
            throw new IllegalStateException("A seek to " + this + " has no offset");
        }
        return this.value;
    }

    /**
     * The timestamp of a seek {@link #toTimestamp to a timestamp}.
     * @throws IllegalStateException for another kind
     */
    public Instant timestamp() {
        if (this.kind != Kind.TIMESTAMP) {
            throw new IllegalStateException("A seek to " + this + " has no timestamp");
        }
        return Instant.ofEpochMilli(this.value);
    }

    @Override
    public boolean equals(Object other) {
        return (other instanceof Seek that) && this.kind == that.kind && this.value == that.value;
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.kind, this.value);
    }

    /**
     * For messages: {@code offset 42}, {@code the beginning}, {@code the end},
     * {@code timestamp 2026-12-01T06:00:00Z}, {@code the committed offset}.
     */
    @Override
    public String toString() {
        return switch (this.kind) {
            case OFFSET -> "offset " + this.value;
            case BEGINNING -> "the beginning";
            case END -> "the end";
            case TIMESTAMP -> "timestamp " + Instant.ofEpochMilli(this.value);
            case COMMITTED -> "the committed offset";
        };
    }

}
