package io.ackflow.consumer.share;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.tracking.RecordOutcome;

/**
 * The stop of a share consumer: nothing more starts; the handlers running get up to the shutdown
 * timeout and the records they finish are settled as usual; every record still acquired (queued,
 * never started, or running past the timeout) is acknowledged {@code RELEASE}, so the broker
 * delivers it again at once instead of after its lock; the acknowledgements are committed
 * synchronously and the consumer is closed. A failure to commit or close is logged, never thrown:
 * the broker releases the records whose acknowledgements it never got when their locks expire.
 * <p>
 * Threads: the poll thread, once, as the loop ends.
 */
final class ShareShutdown {

    private static final Logger logger = LoggerFactory.getLogger(ShareShutdown.class);

    private final ShareLoop loop;

    ShareShutdown(ShareLoop loop) {
        this.loop = loop;
    }

    /**
     * Commits the last acknowledgements, once more after a stray wakeup: the stop wakes the
     * consumer out of its poll, and a wakeup that the poll did not use is thrown by the next
     * blocking call, this one, before anything is sent.
     */
    private void commitLast() {
        try {
            this.loop.consumer().commitSync(Duration.ofSeconds(10));
        }
        catch (WakeupException stray) {
            this.loop.consumer().commitSync(Duration.ofSeconds(10));
        }
    }

    void run() {
        String name = this.loop.engineName();
        try {
            this.loop.conductor().close();
            AcquiredBatch batch = this.loop.batch();
            if (batch != null) {
                long deadline = this.loop.config().ticker().getAsLong() + this.loop.config().shutdownTimeout().toNanos();
                if (!batch.awaitIdle(deadline, this.loop.config().ticker())) {
                    logger.warn("Share consumer '{}': {} handler(s) still running after the shutdown timeout; their"
                            + " records are released to the broker", name, batch.handlersRunning());
                }
                this.loop.settleCompleted();
                batch.retire();
                List<ConsumerRecord<byte[], byte[]>> pending = batch.pendingRecords();
                for (ConsumerRecord<byte[], byte[]> record : pending) {
                    this.loop.acknowledge(record, RecordOutcome.RELEASE);
                }
                if (!pending.isEmpty()) {
                    logger.info("Share consumer '{}' released {} acquired record(s) on stop", name, pending.size());
                }
            }
            commitLast();
        }
        catch (RuntimeException ex) {
            logger.warn("Share consumer '{}': committing the last acknowledgements on stop failed; the broker releases"
                    + " what it did not get when their locks expire: {}", name, ex.toString());
        }
        finally {
            try {
                this.loop.consumer().close(Duration.ofSeconds(10));
            }
            catch (RuntimeException ex) {
                logger.warn("Share consumer '{}': closing the consumer failed: {}", name, ex.toString());
            }
            this.loop.published();
        }
    }

}
