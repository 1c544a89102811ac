package io.ackflow.benchmarks.harness;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;

/**
 * Heap during one arm, from the collector's own notifications: the peak is the heap used just
 * before a collection (the most the heap held), the live figure the most the heap still held
 * just after one (an upper bound of what the arm kept alive: after a young collection the old
 * generation may still hold garbage). Collections and their pause time are counted too. The JMX
 * notification thread writes; the harness thread resets and reads.
 */
final class HeapWatch {

    private static final HeapWatch instance = new HeapWatch();

    private final Set<String> heapPools = new HashSet<>();

    private final AtomicLong peakBytes = new AtomicLong();

    private final AtomicLong liveBytes = new AtomicLong();

    private final AtomicLong collections = new AtomicLong();

    private final AtomicLong pauseMillis = new AtomicLong();

    /** Each collector's count at the last reset: notifications arrive late, and those of earlier collections are ignored. */
    private final Map<String, Long> countsAtReset = new ConcurrentHashMap<>();

    private HeapWatch() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                this.heapPools.add(pool.getName());
            }
        }
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (collector instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((notification, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo
                            .from((CompositeData) notification.getUserData());
                        if (info.getGcInfo().getId() > this.countsAtReset.getOrDefault(info.getGcName(), 0L)) {
                            collected(info);
                        }
                    }
                }, null, null);
            }
        }
    }

    static HeapWatch get() {
        return instance;
    }

    private void collected(GarbageCollectionNotificationInfo info) {
        this.peakBytes.accumulateAndGet(heapBytes(info.getGcInfo().getMemoryUsageBeforeGc()), Math::max);
        this.liveBytes.accumulateAndGet(heapBytes(info.getGcInfo().getMemoryUsageAfterGc()), Math::max);
        this.collections.incrementAndGet();
        this.pauseMillis.addAndGet(info.getGcInfo().getDuration());
    }

    private long heapBytes(Map<String, MemoryUsage> pools) {
        long bytes = 0;
        for (Map.Entry<String, MemoryUsage> pool : pools.entrySet()) {
            if (this.heapPools.contains(pool.getKey())) {
                bytes += pool.getValue().getUsed();
            }
        }
        return bytes;
    }

    /** Starts watching from now (the harness collects first, so the heap holds no earlier arm's garbage). */
    void reset() {
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            this.countsAtReset.put(collector.getName(), collector.getCollectionCount());
        }
        long used = usedBytes();
        this.peakBytes.set(used);
        this.liveBytes.set(0);
        this.collections.set(0);
        this.pauseMillis.set(0);
    }

    double peakMb() {
        return Math.max(this.peakBytes.get(), usedBytes()) / 1048576.0;
    }

    double liveMb() {
        return this.liveBytes.get() / 1048576.0;
    }

    long collections() {
        return this.collections.get();
    }

    long pauseMillis() {
        return this.pauseMillis.get();
    }

    static long usedBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

}
