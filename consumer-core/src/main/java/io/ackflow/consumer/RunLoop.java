package io.ackflow.consumer;

import java.util.Map;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.loop.ApplicationControls;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.share.ShareLoop;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.ShareSnapshot;

/**
 * One run's poll loop as the engine drives it: a consumer group's {@link PollLoop} or a share
 * group's {@link ShareLoop}. The requests that only a consumer group can carry out (pause, resume,
 * seek, commit now) fail on a share consumer with an {@link UnsupportedOperationException} that
 * says why.
 * <p>
 * Threads: {@link #run} on the poll thread; the rest from any thread.
 */
interface RunLoop extends Runnable {

    void requestStop();

    Throwable failure();

    EngineSnapshot snapshot();

    ShareSnapshot shareSnapshot();

    Map<TopicPartition, Long> committedOffsets();

    ApplicationControls controls();

    static RunLoop of(PollLoop loop) {
        return new RunLoop() {

            @Override
            public void run() {
                loop.run();
            }

            @Override
            public void requestStop() {
                loop.requestStop();
            }

            @Override
            public Throwable failure() {
                return loop.failure();
            }

            @Override
            public EngineSnapshot snapshot() {
                return loop.snapshot();
            }

            @Override
            public ShareSnapshot shareSnapshot() {
                return null;
            }

            @Override
            public Map<TopicPartition, Long> committedOffsets() {
                return loop.committedOffsets();
            }

            @Override
            public ApplicationControls controls() {
                return loop.controls();
            }

        };
    }

    static RunLoop of(ShareLoop loop, String engineName) {
        return new RunLoop() {

            @Override
            public void run() {
                loop.run();
            }

            @Override
            public void requestStop() {
                loop.requestStop();
            }

            @Override
            public Throwable failure() {
                return loop.failure();
            }

            @Override
            public EngineSnapshot snapshot() {
                return loop.snapshot();
            }

            @Override
            public ShareSnapshot shareSnapshot() {
                return loop.shareSnapshot();
            }

            @Override
            public Map<TopicPartition, Long> committedOffsets() {
                return Map.of();
            }

            @Override
            public ApplicationControls controls() {
                throw new UnsupportedOperationException("Engine '" + engineName + "' is a share consumer: the broker"
                        + " hands it records, not partitions, so there are no partitions to pause, resume, seek or"
                        + " commit; it acknowledges each record on its own");
            }

        };
    }

}
