package io.ackflow.consumer.loop;

import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Exceptions kafka-clients raises while a consumer is being stopped: a wakeup meant for a poll,
 * or an interrupt of the poll thread. On a stop they are expected and are not failures (Faust's
 * {@code consumer_stopped_errors}); at any other time they are.
 */
final class StoppingErrors {

    private StoppingErrors() {
    }

    /** Whether {@code failure}, or a cause of it, is what a stopping consumer raises. */
    static boolean isStopping(Throwable failure) {
        for (Throwable current = failure; current != null; current = (current.getCause() != current) ? current.getCause() : null) {
            if (current instanceof WakeupException || current instanceof InterruptException
                    || current instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

}
