package io.ackflow.consumer;

import java.time.Duration;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ShareConsumer;

/**
 * What makes an engine a share consumer: its share group and how its {@link ShareConsumer} is
 * created (on the poll thread, in explicit acknowledgement mode, reading byte arrays).
 *
 * @param group the share group, named in messages and the snapshot
 * @param factory creates the share consumer
 * @param lockDuration the acquisition lock assumed until the consumer reports the group's own
 *        ({@code group.share.record.lock.duration.ms}, 30 s unless the group sets it)
 */
record ShareGroup(String group, Supplier<ShareConsumer<byte[], byte[]>> factory, Duration lockDuration) {

    /** The broker's default acquisition lock, {@code group.share.record.lock.duration.ms}. */
    static final Duration DEFAULT_LOCK_DURATION = Duration.ofSeconds(30);

}
