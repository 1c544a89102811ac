package io.ackflow.consumer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;

import io.ackflow.consumer.failure.Recovery;

/**
 * What {@link AckflowEngine.Builder#build()} refuses of a share consumer, and of a consumer group
 * the recoveries that only a share consumer can carry out; each with a message that names the
 * setting and says why.
 * <p>
 * Threads: the builder's.
 */
final class ShareChecks {

    private ShareChecks() {
    }

    /**
     * @throws IllegalArgumentException naming what is wrong
     */
    static void check(String name, ShareGroup share, Object consumerFactory, EngineConfig config,
            Object transactionalProducer, List<Subscription<?, ?>> subscriptions) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, was '" + name + "'");
        }
        if (share.group() == null || share.group().isBlank()) {
            throw new IllegalArgumentException("Engine '" + name + "': a share consumer needs its share group"
                    + " (group.id), was '" + share.group() + "'");
        }
        if (consumerFactory != null) {
            throw new IllegalArgumentException("Engine '" + name + "': both a consumer group's consumer and a share"
                    + " consumer are set; an engine is one or the other");
        }
        if (config.exactlyOnce() || transactionalProducer != null) {
            throw new IllegalArgumentException("Engine '" + name + "': processingGuarantee EXACTLY_ONCE is for"
                    + " consumer groups; a share consumer acknowledges records, it has no offsets to commit in a"
                    + " transaction");
        }
        for (Subscription<?, ?> subscription : subscriptions) {
            if (subscription.isBatch()) {
                throw new IllegalArgumentException("Engine '" + name + "': subscription '" + subscription.id()
                        + "' is a batch handler, which a share consumer does not run: in explicit acknowledgement"
                        + " mode the consumer polls again only once every record of its last poll is settled, so a"
                        + " batch waiting for max-wait or max-records would hold the whole consumer; use a record"
                        + " handler, or a consumer group");
            }
            if (subscription.ordering() != Ordering.UNORDERED) {
                throw new IllegalArgumentException("Engine '" + name + "': subscription '" + subscription.id()
                        + "' orders by " + subscription.ordering() + ", but a share consumer can only run UNORDERED:"
                        + " the broker hands the records of one partition to several members at once, so no member"
                        + " sees a partition's or a key's records in order");
            }
        }
    }

    /**
     * The share consumer settings with {@code max.poll.records} (500 unless set) no higher than
     * {@code maxInFlight}: a share consumer in explicit mode holds no more than its last poll's
     * records, so this bounds its records in flight.
     * @throws IllegalArgumentException when {@code max.poll.records} is not a number
     */
    static Map<String, Object> boundPollRecords(Map<String, Object> settings, int maxInFlight) {
        Map<String, Object> bounded = new HashMap<>(settings);
        Object set = settings.get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
        int records;
        try {
            records = (set != null) ? Integer.parseInt(set.toString().trim()) : ConsumerConfig.DEFAULT_MAX_POLL_RECORDS;
        }
        catch (NumberFormatException ex) {
            throw new IllegalArgumentException(ConsumerConfig.MAX_POLL_RECORDS_CONFIG + " must be a number, was '" + set
                    + "'");
        }
        bounded.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(records, maxInFlight));
        return bounded;
    }

    /**
     * @throws IllegalArgumentException when a subscription of a consumer group recovers with a
     *         share-only recovery
     */
    static void refuseShareRecoveries(String name, List<Subscription<?, ?>> subscriptions) {
        for (Subscription<?, ?> subscription : subscriptions) {
            Recovery recovery = subscription.errorPolicy().recovery();
            if (recovery.shareOnly()) {
                throw new IllegalArgumentException("Engine '" + name + "': subscription '" + subscription.id()
                        + "' recovers with " + recovery + ", which only a share consumer can do (it settles the"
                        + " record with the broker); a consumer group commits offsets, so use SKIP, DEAD_LETTER or"
                        + " STOP");
            }
        }
    }

}
