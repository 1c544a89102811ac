package io.ackflow.spring;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.failure.Recovery;

/**
 * What a listener's settings must be on a share consumer and on a consumer group: on a share
 * consumer it runs {@code UNORDERED} and refuses {@code PARTITION} and {@code KEY} (the broker
 * hands the records of one partition to several members at once); on a consumer group it refuses
 * the recoveries {@code release} and {@code reject}, which settle a record with a share group's
 * broker. Each refusal names the listener, the consumer and what to change.
 * <p>
 * Threads: the container's thread during refresh. Stateless.
 */
final class ShareConsumerChecks {

    private ShareConsumerChecks() {
    }

    /**
     * The ordering of {@code endpoint} on {@code slot}: on a share consumer {@code UNORDERED}
     * whatever {@code ackflow.ordering} says, else the endpoint's own or {@code defaultOrdering}.
     * @throws AckflowConfigurationException when the endpoint orders by partition or key on a share consumer
     */
    static Ordering ordering(StreamListenerEndpoint endpoint, ConsumerSlot slot, Ordering defaultOrdering) {
        if (!slot.isShare()) {
            return (endpoint.ordering() != null) ? endpoint.ordering() : defaultOrdering;
        }
        if (endpoint.ordering() != null && endpoint.ordering() != Ordering.UNORDERED) {
            throw new AckflowConfigurationException("@StreamListener '" + endpoint.id() + "' orders by "
                    + endpoint.ordering() + ", but it runs on the share consumer '" + slot.name()
                    + "' (ackflow.consumers." + slot.name() + ".group-type=share): a share group hands the records"
                    + " of one partition to several members at once, so no member sees a partition's or a key's"
                    + " records in order.", "Remove ordering from @StreamListener '" + endpoint.id()
                    + "' (listeners run UNORDERED on a share consumer), or place it on a consumer group.");
        }
        return Ordering.UNORDERED;
    }

    /**
     * @throws AckflowConfigurationException when {@code recovery} is share-only and {@code slot} is a consumer group
     */
    static void checkRecovery(AckflowProperties properties, StreamListenerEndpoint endpoint, ConsumerSlot slot,
            Recovery recovery) {
        if (slot.isShare() || !recovery.shareOnly()) {
            return;
        }
        AckflowProperties.Listener own = properties.getListeners().get(endpoint.id());
        String property = (own != null && own.getErrors().getRecovery() != null)
                ? "ackflow.listeners." + endpoint.id() + ".errors.recovery" : "ackflow.errors.recovery";
        String value = recovery.name().toLowerCase(java.util.Locale.ROOT);
        throw new AckflowConfigurationException("Property '" + property + "' is '" + value + "', which only a share"
                + " consumer can do (it settles the record with the share group's broker), but @StreamListener '"
                + endpoint.id() + "' runs on the consumer group of '" + slot.name() + "', which commits offsets.",
                "Use skip, dead-letter or stop for '" + endpoint.id() + "' (ackflow.listeners." + endpoint.id()
                        + ".errors.recovery), or place it on a consumer with ackflow.consumers.<name>.group-type=share.");
    }

}
