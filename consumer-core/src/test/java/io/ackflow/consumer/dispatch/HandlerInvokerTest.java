package io.ackflow.consumer.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.state.EngineMetrics;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a handler's return, throw or stage becomes an outcome, with the timing reported for each
 * call: handlers here return futures the test completes, or completes beforehand.
 */
class HandlerInvokerTest {

    private final MutableClock clock = new MutableClock();

    /** Handler calls that ended, in order, as "subscription:succeeded". */
    private final List<String> timed = new ArrayList<>();

    private final EngineMetrics metrics = new EngineMetrics() {

        @Override
        public void handlerFinished(String subscriptionId, long durationNanos, boolean succeeded) {
            assertThat(durationNanos).isNotNegative();
            HandlerInvokerTest.this.timed.add(subscriptionId + ":" + succeeded);
        }

    };

    @Test
    void aHandlerThatReturnsSucceedsAndIsTimed() {
        Delivery delivery = delivery();
        assertThat(invoker((record) -> null).call(delivery)).isNull();
        assertThat(delivery.stage).isNull();
        assertThat(delivery.attempts).isEqualTo(1);
        assertThat(delivery.thread).isSameAs(Thread.currentThread());
        assertThat(delivery.startedAt).isEqualTo(this.clock.millis());
        assertThat(this.timed).containsExactly("s:true");
    }

    @Test
    void aHandlerThatThrowsFailsWithItsOwnException() {
        IllegalStateException failure = new IllegalStateException("down");
        assertThat(invoker((record) -> {
            throw failure;
        }).call(delivery())).isSameAs(failure);
        assertThat(this.timed).containsExactly("s:false");
    }

    @Test
    void aStageThatIsAlreadyCompleteCountsAsAReturnAndItsFailureIsUnwrapped() {
        IllegalStateException failure = new IllegalStateException("down");
        Delivery succeeded = delivery();
        assertThat(invoker((record) -> CompletableFuture.completedFuture(null)).call(succeeded)).isNull();
        assertThat(succeeded.stage).isNull();
        Delivery failed = delivery();
        assertThat(invoker((record) -> CompletableFuture.failedFuture(failure)).call(failed)).isSameAs(failure);
        assertThat(failed.stage).isNull();
        assertThat(this.timed).containsExactly("s:true", "s:false");
    }

    @Test
    void aRunningStageIsLeftOnTheDeliveryAndItsEndIsTimedWhenItCompletes() {
        CompletableFuture<Void> future = new CompletableFuture<>();
        HandlerInvoker invoker = invoker((record) -> future);
        Delivery delivery = delivery();
        assertThat(invoker.call(delivery)).isNull();
        assertThat(delivery.stage).isSameAs(future);
        assertThat(this.timed).as("not ended yet").isEmpty();

        List<String> ends = new ArrayList<>();
        invoker.whenDone(delivery, (done, failure) -> ends.add((done == delivery) + ":" + failure));
        assertThat(delivery.stage).as("taken off the delivery").isNull();
        assertThat(ends).isEmpty();
        future.complete(null);
        assertThat(ends).containsExactly("true:null");
        assertThat(this.timed).containsExactly("s:true");
    }

    @Test
    void aRunningStageThatFailsIsToldItsFailureWithoutTheFuturesWrappers() {
        CompletableFuture<Void> future = new CompletableFuture<>();
        HandlerInvoker invoker = invoker((record) -> future);
        Delivery delivery = delivery();
        invoker.call(delivery);
        List<Throwable> failures = new ArrayList<>();
        invoker.whenDone(delivery, (done, failure) -> failures.add(failure));
        IllegalStateException failure = new IllegalStateException("down");
        future.completeExceptionally(new CompletionException(new ExecutionException(failure)));
        assertThat(failures).containsExactly(failure);
        assertThat(this.timed).containsExactly("s:false");
    }

    @Test
    void everyCallCountsAnAttemptButTheStartIsTheFirstCalls() {
        HandlerInvoker invoker = invoker((record) -> null);
        Delivery delivery = delivery();
        invoker.call(delivery);
        long firstCall = this.clock.millis();
        this.clock.advance(Duration.ofSeconds(5));
        invoker.call(delivery);
        assertThat(delivery.attempts).isEqualTo(2);
        assertThat(delivery.startedAt).isEqualTo(firstCall);
    }

    private HandlerInvoker invoker(Function<ConsumerRecord<Object, Object>, CompletableFuture<Void>> handler) {
        return new HandlerInvoker("s", handler::apply, this.clock, this.metrics);
    }

    private static Delivery delivery() {
        return Deliveries.of(Deliveries.track(Deliveries.tracker(0), 0, null, (record) -> {
        }));
    }

}
