package io.ackflow.consumer.tracking;

import java.util.BitSet;

/**
 * The offsets a previous owner of the partition acked above its last commit, read from the
 * commit's offset map: bit {@code i} stands for offset {@code base + i}. A record at one of them
 * was processed already and must not be handed to a subscription again.
 * <p>
 * Threads: the poll thread only.
 */
final class InheritedAcks {

    /** Null when there is no map, or once the offsets asked about passed it. */
    private BitSet acked;

    private long base = -1;

    /** Remembers {@code acked} from {@code base}; a null or empty map, or a negative base, is ignored. */
    void remember(long base, BitSet acked) {
        if (acked != null && !acked.isEmpty() && base >= 0) {
            this.acked = acked;
            this.base = base;
        }
    }

    /**
     * Whether the previous owner acked the record at {@code offset}. Offsets are asked in
     * increasing order; the map is dropped once they pass its last acked offset.
     */
    boolean contains(long offset) {
        BitSet acked = this.acked;
        if (acked == null) {
            return false;
        }
        long relative = offset - this.base;
        if (relative >= acked.length()) {
            this.acked = null;
            return false;
        }
        return relative >= 0 && acked.get((int) relative);
    }

}
