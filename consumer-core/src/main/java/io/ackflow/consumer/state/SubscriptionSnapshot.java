package io.ackflow.consumer.state;

import java.util.Set;

import io.ackflow.consumer.Ordering;

/**
 * One subscription as the poll thread last saw it. Immutable; holds no record payloads or keys.
 *
 * @param id the subscription id
 * @param topics its topics
 * @param ordering its ordering mode
 * @param concurrency the most handler calls it runs at once
 * @param inFlight records it holds now: queued in its lanes, running, or waiting for a retry
 * @param handled handler calls that completed normally, since the engine started
 * @param failed records it failed on for good
 * @param retried retries scheduled
 * @param deadLettered records published to its dead-letter topic
 * @param skipped records its handler declined
 */
public record SubscriptionSnapshot(String id, Set<String> topics, Ordering ordering, int concurrency, int inFlight,
        long handled, long failed, long retried, long deadLettered, long skipped) {
}
