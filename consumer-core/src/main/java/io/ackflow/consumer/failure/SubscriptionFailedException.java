package io.ackflow.consumer.failure;

/**
 * Why an engine stopped under {@link Recovery#STOP}: which subscription failed on which record
 * (its coordinates, never its contents), with the handler's failure as the cause. It is the
 * engine's {@code failure()} afterwards.
 */
public class SubscriptionFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String subscriptionId;

    private final String coordinates;

    public SubscriptionFailedException(String subscriptionId, String coordinates, Throwable cause) {
        super("Subscription '" + subscriptionId + "' failed on " + coordinates
                + " and its error policy is STOP; the record was not committed and is read again after a restart", cause);
        this.subscriptionId = subscriptionId;
        this.coordinates = coordinates;
    }

    public String subscriptionId() {
        return this.subscriptionId;
    }

    /** {@code topic-partition@offset} of the record. */
    public String coordinates() {
        return this.coordinates;
    }

}
