package io.ackflow.consumer.failure;

/**
 * Publishes a failed record to a dead-letter topic. The Spring Boot starter implements it with
 * spring-kafka's {@code DeadLetterPublishingRecoverer} and the application's producer settings.
 * <p>
 * Called on a handler thread (a virtual thread on 21+), never on the poll thread; it may block
 * until the broker acknowledged the send. The record is released only when it returns normally.
 */
@FunctionalInterface
public interface DeadLetterPublisher {

    /**
     * Publishes {@code failed} and returns once the broker acknowledged it.
     * @throws Exception if the send failed; it is tried again after the dead-letter retry interval
     */
    void publish(FailedRecord failed) throws Exception;

}
