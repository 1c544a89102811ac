package io.ackflow.spring;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import io.micrometer.observation.Observation;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.ackflow.consumer.RecordHandler;

/**
 * A {@code @StreamListener} handler whose every call runs inside an observation of its record
 * (see {@link ListenerObservations}): started before the call, current while the method runs,
 * stopped when the handler is done with the record, that is when the call returns or, when it
 * returns a {@link CompletionStage}, when that stage completes; a thrown exception or an
 * exceptionally completed stage is recorded as the observation's error. The engine calls a
 * handler once per attempt, so a record that is retried is observed once per attempt, as
 * spring-kafka observes each delivery.
 * <p>
 * Threads: {@link #handle} runs on the handler thread that calls the listener (a virtual thread on
 * Java 21+). It starts the observation and opens its scope there, so the observation (and a
 * tracing bridge's span) is current for the method and for what it calls on that thread, and
 * closes the scope on that thread when the call returns. The observation of a handler whose
 * stage is still running is stopped on whichever thread completes the stage; code that the
 * method hands to other threads makes the observation current there itself (Micrometer's context
 * propagation). Stateless: each call has its own observation.
 */
final class ObservedHandler implements RecordHandler<Object, Object> {

    private final RecordHandler<Object, Object> handler;

    private final ListenerObservations.RecordObservation observation;

    ObservedHandler(RecordHandler<Object, Object> handler, ListenerObservations.RecordObservation observation) {
        this.handler = handler;
        this.observation = observation;
    }

    @Override
    public CompletionStage<?> handle(ConsumerRecord<Object, Object> record) throws Exception {
        Observation observation = this.observation.of(record).start();
        CompletionStage<?> stage;
        try (Observation.Scope scope = observation.openScope()) {
            stage = this.handler.handle(record);
        }
        catch (Throwable ex) {
            observation.error(ex);
            observation.stop();
            throw ex;
        }
        if (stage == null) {
            observation.stop();
            return null;
        }
        // The engine waits for this stage, so the record is released only once the observation is stopped.
        return stage.whenComplete((result, failure) -> {
            if (failure != null) {
                observation.error(unwrap(failure));
            }
            observation.stop();
        });
    }

    /** The handler's own exception inside the wrappers that futures add. */
    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

}
