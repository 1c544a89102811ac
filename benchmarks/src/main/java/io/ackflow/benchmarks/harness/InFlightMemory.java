package io.ackflow.benchmarks.harness;

import java.util.concurrent.CountDownLatch;

/**
 * Bytes of heap per in-flight record in Ackflow, measured as a slope. Handlers are held at a
 * gate, so fetched records pile up until the engine's in-flight bound pauses the partitions and
 * the in-flight count stops moving (a plateau). At the plateau two full collections leave only
 * live objects, and the heap used is read. Two plateaus, a low and a high bound, give
 * (heap high - heap low) / (in flight high - in flight low): what one more in-flight record
 * costs. What does not grow with the records (the consumer, its fetch buffers, the handler
 * threads, this harness's tables) cancels out; the record's own key and value bytes, its
 * {@code ConsumerRecord}, and the engine's per-record bookkeeping (tracking, lanes, queues) are
 * in it. Each plateau's heap is taken over the live heap just before its engine started, so that
 * what earlier runs left behind does not count either. Only the harness thread uses it.
 */
final class InFlightMemory {

    private static final long PLATEAU_TIMEOUT_NANOS = 30_000_000_000L;

    /** Snapshots in a row with the same in-flight count that make a plateau; they are published every 0.5 s. */
    private static final int STEADY_SNAPSHOTS = 3;

    private final String bootstrap;

    InFlightMemory(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    /**
     * One plateau: the in-flight bound, the in-flight records the engine reported, and the live
     * heap at the plateau over the live heap before the engine started.
     */
    record Plateau(int bound, long inFlight, long heapBytes) {
    }

    record Result(String ordering, int keys, int concurrency, Plateau low, Plateau high) {

        /** Heap per additional in-flight record; NaN when the two plateaus hold the same count. */
        double bytesPerRecord() {
            long records = this.high.inFlight() - this.low.inFlight();
            return (records <= 0) ? Double.NaN : (double) (this.high.heapBytes() - this.low.heapBytes()) / records;
        }

    }

    Result measure(Topic topic, String ordering, int concurrency, int lowBound, int highBound) throws Exception {
        Plateau low = plateau(topic, ordering, concurrency, lowBound);
        Plateau high = plateau(topic, ordering, concurrency, highBound);
        return new Result(ordering, topic.keys, concurrency, low, high);
    }

    private Plateau plateau(Topic topic, String ordering, int concurrency, int bound) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AckflowArm arm = new AckflowArm(bound, gate);
        Spec spec = new Spec(this.bootstrap, topic.name, "bench-inflight-" + System.nanoTime(), Workload.NOOP, ordering,
                concurrency, topic.partitions());
        long idle = liveHeapBytes();
        arm.start(spec, new Completions(topic, 1, new Probe()));
        try {
            long deadline = System.nanoTime() + PLATEAU_TIMEOUT_NANOS;
            long last = -1;
            int steady = 0;
            while (steady < STEADY_SNAPSHOTS && System.nanoTime() < deadline) {
                Thread.sleep(500);
                long inFlight = arm.inFlight();
                steady = (inFlight > 0 && inFlight == last) ? steady + 1 : 0;
                last = inFlight;
            }
            return new Plateau(bound, arm.inFlight(), liveHeapBytes() - idle);
        }
        finally {
            gate.countDown();
            arm.stop();
        }
    }

    /** Heap used after a full collection (the harness runs the parallel collector, whose System.gc is one); the lower of two. */
    private static long liveHeapBytes() {
        long lowest = Long.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            System.gc();
            lowest = Math.min(lowest, HeapWatch.usedBytes());
        }
        return lowest;
    }

}
