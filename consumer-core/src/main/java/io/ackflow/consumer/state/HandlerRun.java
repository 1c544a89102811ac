package io.ackflow.consumer.state;

/**
 * A handler of one subscription running on a record: since when (clock millis) and on which thread.
 *
 * @param subscriptionId the subscription
 * @param startedAt when the handler was called (clock millis)
 * @param thread name of the thread that called it
 */
public record HandlerRun(String subscriptionId, long startedAt, String thread) {
}
