package io.ackflow.consumer.tracking;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class OffsetTrackerTest {

    private static final TopicPartition TP = new TopicPartition("orders", 3);

    private final OffsetTracker tracker = new OffsetTracker(TP, 64);

    @Test
    void nothingTrackedHasNoCommittableOffset() {
        assertThat(this.tracker.committable()).isEqualTo(-1);
    }

    @Test
    void offsetZeroIsHeldUntilAcked() {
        long seq = this.tracker.track(0);
        assertThat(this.tracker.committable()).isZero();
        this.tracker.ack(seq);
        assertThat(this.tracker.committable()).isEqualTo(1);
    }

    @Test
    void inOrderAcksAdvanceOneByOne() {
        long[] seqs = trackRange(0, 10);
        for (int i = 0; i < 10; i++) {
            this.tracker.ack(seqs[i]);
            assertThat(this.tracker.committable()).isEqualTo(i + 1);
        }
        assertThat(this.tracker.pendingCount()).isZero();
    }

    @Test
    void reverseOrderAcksCommitNothingUntilTheFirstIsAcked() {
        long[] seqs = trackRange(100, 10);
        for (int i = 9; i >= 1; i--) {
            this.tracker.ack(seqs[i]);
            assertThat(this.tracker.committable()).isEqualTo(100);
        }
        this.tracker.ack(seqs[0]);
        assertThat(this.tracker.committable()).isEqualTo(110);
    }

    @Test
    void oneInFlightRecordRightAfterTheLastCommitHoldsTheFourAckedAfterIt() {
        long[] seqs = trackRange(0, 6);
        this.tracker.ack(seqs[0]);
        assertThat(this.tracker.committable()).as("last commit").isEqualTo(1);
        // offset 1 is in flight; the four after it are acked
        for (int i = 2; i <= 5; i++) {
            this.tracker.ack(seqs[i]);
        }
        assertThat(this.tracker.committable()).isEqualTo(1);
        assertThat(this.tracker.pendingCount()).isEqualTo(5);
        this.tracker.ack(seqs[1]);
        assertThat(this.tracker.committable()).isEqualTo(6);
        assertThat(this.tracker.pendingCount()).isZero();
    }

    @Test
    void holeInTheMiddleHoldsTheCommitUntilFilled() {
        long[] seqs = trackRange(0, 8);
        for (int i : new int[] { 0, 1, 2, 4, 5, 6, 7 }) {
            this.tracker.ack(seqs[i]);
        }
        assertThat(this.tracker.committable()).isEqualTo(3);
        this.tracker.ack(seqs[3]);
        assertThat(this.tracker.committable()).isEqualTo(8);
    }

    @Test
    void offsetsNeverDeliveredCountAsDone() {
        // Compaction removed 11-14 and 16; poll delivered 10, 15, 17.
        long a = this.tracker.track(10);
        long b = this.tracker.track(15);
        long c = this.tracker.track(17);
        this.tracker.ack(a);
        assertThat(this.tracker.committable()).isEqualTo(15);
        this.tracker.ack(c);
        assertThat(this.tracker.committable()).as("17 is acked but 15 is not").isEqualTo(15);
        this.tracker.ack(b);
        assertThat(this.tracker.committable()).isEqualTo(18);
    }

    @Test
    void missingOffsetAtTheHeadNeverLetsTheCommitPassAnInFlightRecord() {
        // Faust's _new_offset: with 5 committed and 6 never delivered, an acked 7 must not move
        // the commit past an in-flight 8... nor past an in-flight 7 when only 8 is acked.
        long seven = this.tracker.track(7);
        long eight = this.tracker.track(8);
        this.tracker.ack(eight);
        assertThat(this.tracker.committable()).isEqualTo(7);
        this.tracker.ack(seven);
        assertThat(this.tracker.committable()).isEqualTo(9);
    }

    @Test
    void readCommittedTransactionMarkersLeaveHolesThatDoNotBlock() {
        // Transaction 1: records 0-2, commit marker at 3; transaction 2: records 4-5, marker 6;
        // an aborted transaction 7-9 with its marker 10 is filtered out; then 11.
        long[] seqs = { this.tracker.track(0), this.tracker.track(1), this.tracker.track(2),
            this.tracker.track(4), this.tracker.track(5), this.tracker.track(11) };
        for (long seq : seqs) {
            this.tracker.ack(seq);
        }
        assertThat(this.tracker.committable()).isEqualTo(12);
        assertThat(this.tracker.pendingCount()).isZero();
    }

    @Test
    void windowGrowsPastItsInitialCapacityKeepingAcks() {
        int count = 64 * 40 + 7;
        long[] seqs = new long[count];
        for (int i = 0; i < count; i++) {
            seqs[i] = this.tracker.track(i);
            if (i % 2 == 1) {
                this.tracker.ack(seqs[i]); // odd offsets acked while the window grows
            }
        }
        assertThat(this.tracker.capacity()).isGreaterThanOrEqualTo(count);
        assertThat(this.tracker.committable()).isZero();
        for (int i = 0; i < count; i += 2) {
            this.tracker.ack(seqs[i]);
            long expected = (i + 2 <= count) ? i + 2 : count;
            assertThat(this.tracker.committable()).isEqualTo(Math.min(expected, count));
        }
        assertThat(this.tracker.committable()).isEqualTo(count);
    }

    @Test
    void steadyStateReusesTheWindowWithoutGrowing() {
        for (int round = 0; round < 1000; round++) {
            long[] seqs = trackRange(round * 50L, 50);
            for (long seq : seqs) {
                this.tracker.ack(seq);
            }
            assertThat(this.tracker.committable()).isEqualTo((round + 1) * 50L);
        }
        assertThat(this.tracker.capacity()).isEqualTo(128);
    }

    @Test
    void windowsAcrossManyLapsOfTheRingNeverSeeStaleFlags() {
        Random random = new Random(3);
        long next = 0;
        for (int round = 0; round < 2000; round++) {
            int size = 1 + random.nextInt(60);
            long[] seqs = trackRange(next, size);
            int[] order = new int[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            java.util.TreeSet<Long> unacked = new java.util.TreeSet<>();
            for (int i = 0; i < size; i++) {
                unacked.add(next + i);
            }
            for (int i : order) {
                this.tracker.ack(seqs[i]);
                unacked.remove(next + i);
                assertThat(this.tracker.committable()).isEqualTo(unacked.isEmpty() ? next + size : unacked.first());
            }
            next += size;
        }
        assertThat(this.tracker.capacity()).isEqualTo(128);
    }

    @Test
    void offsetNotAboveTheLastTrackedIsRefusedNamingThePartition() {
        this.tracker.track(5);
        assertThatIllegalStateException().isThrownBy(() -> this.tracker.track(5))
            .withMessageContaining("orders-3").withMessageContaining("5");
    }

    @Test
    void shuffledAcksWithinWindowsMatchAReferenceModel() {
        Random random = new Random(42);
        long offset = 0;
        List<long[]> pending = new ArrayList<>();
        long expectedCommittable = -1;
        java.util.TreeSet<Long> unacked = new java.util.TreeSet<>();
        for (int step = 0; step < 20_000; step++) {
            if (random.nextInt(3) > 0 || pending.isEmpty()) {
                offset += 1 + ((random.nextInt(10) == 0) ? random.nextInt(5) : 0); // some gaps
                pending.add(new long[] { this.tracker.track(offset), offset });
                unacked.add(offset);
            }
            else {
                long[] record = pending.remove(random.nextInt(pending.size()));
                this.tracker.ack(record[0]);
                unacked.remove(record[1]);
            }
            expectedCommittable = unacked.isEmpty() ? offset + 1 : unacked.first();
            assertThat(this.tracker.committable()).isEqualTo(expectedCommittable);
        }
    }

    @Test
    void concurrentAcksFromManyThreadsWhileTheWindowGrows() throws Exception {
        // Window sizes that change chunk by chunk make the ring grow while acks are in flight.
        runConcurrentAcks(new int[] { 100, 300, 1000, 3000, 9000, 20000, 500, 40000, 64, 5000 }, 300_000, 8);
    }

    @Test
    void concurrentAcksNeverLetCommittablePassAnUnackedRecord() throws Exception {
        for (int round = 0; round < 20; round++) {
            runConcurrentAcks(new int[] { 37, 150, 700, 2500, 90, 6000 }, 60_000, 3);
        }
    }

    /**
     * The calling thread tracks (every other offset, so there are gaps) and reads committable;
     * {@code threads} threads ack in shuffled chunks. Each acker marks a record in {@code acked}
     * before it acks it, so at every committable() every record below it must be marked.
     */
    private static void runConcurrentAcks(int[] chunkSizes, int records, int threads) throws Exception {
        OffsetTracker tracker = new OffsetTracker(TP, 64);
        java.util.concurrent.atomic.AtomicIntegerArray acked = new java.util.concurrent.atomic.AtomicIntegerArray(records);
        List<BlockingQueue<Long>> queues = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            queues.add(new ArrayBlockingQueue<>(records + 1));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            BlockingQueue<Long> queue = queues.get(t);
            futures.add(pool.submit(() -> {
                for (long seq; (seq = queue.take()) >= 0;) {
                    acked.set((int) seq, 1);
                    tracker.ack(seq);
                }
                return null;
            }));
        }
        Random random = new Random(7);
        List<Long> chunk = new ArrayList<>();
        int verified = 0;
        int chunkIndex = 0;
        for (int offset = 0; offset < records; offset++) {
            long seq = tracker.track(offset * 2L);
            assertThat(seq).isEqualTo(offset);
            chunk.add(seq);
            if (chunk.size() == chunkSizes[chunkIndex % chunkSizes.length] || offset == records - 1) {
                chunkIndex++;
                Collections.shuffle(chunk, random);
                for (int i = 0; i < chunk.size(); i++) {
                    queues.get(i % threads).add(chunk.get(i));
                }
                chunk.clear();
            }
            if (offset % 97 == 0) {
                long committable = tracker.committable();
                int firstUnacked = (int) Math.min((committable + 1) / 2, offset + 1L);
                for (; verified < firstUnacked; verified++) {
                    assertThat(acked.get(verified)).as("record " + verified + " below committable " + committable)
                        .isEqualTo(1);
                }
            }
        }
        queues.forEach((queue) -> queue.add(-1L));
        for (Future<?> future : futures) {
            future.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(tracker.committable()).isEqualTo((records - 1) * 2L + 1);
        assertThat(tracker.pendingCount()).isZero();
    }

    private long[] trackRange(long from, int count) {
        long[] seqs = new long[count];
        for (int i = 0; i < count; i++) {
            seqs[i] = this.tracker.track(from + i);
        }
        return seqs;
    }

}
