package io.ackflow.consumer.state;

import java.util.Set;

import io.ackflow.consumer.Batching;
import io.ackflow.consumer.Ordering;

/**
 * One subscription as the poll thread last saw it. Immutable; holds no record payloads or keys.
 *
 * @param id the subscription id
 * @param topics its topics
 * @param ordering its ordering mode
 * @param concurrency the most handler calls it runs at once (batches, for a batch subscription)
 * @param inFlight records it holds now: queued in its lanes, running, or waiting for a retry
 * @param handled handler calls that completed normally, since the engine started
 * @param failed records it failed on for good
 * @param retried retries scheduled
 * @param deadLettered records published to its dead-letter topic
 * @param skipped records its handler declined
 * @param batching how a batch subscription gathers its batches; null for one that handles a record at a time
 */
public record SubscriptionSnapshot(String id, Set<String> topics, Ordering ordering, int concurrency, int inFlight,
        long handled, long failed, long retried, long deadLettered, long skipped, Batching batching) {

    /** A subscription that handles one record at a time. */
    public SubscriptionSnapshot(String id, Set<String> topics, Ordering ordering, int concurrency, int inFlight,
            long handled, long failed, long retried, long deadLettered, long skipped) {
        this(id, topics, ordering, concurrency, inFlight, handled, failed, retried, deadLettered, skipped, null);
    }

    /** Whether the subscription hands its records over in batches. */
    public boolean isBatch() {
        return this.batching != null;
    }

}
