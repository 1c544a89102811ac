package io.ackflow.spring;

import org.springframework.messaging.MessagingException;

/**
 * A record that cannot become the arguments of a {@code @StreamListener} method: a payload that
 * cannot be converted to the parameter's type, a payload that fails {@code @Valid}, a required
 * payload or header that is missing (a tombstone for a required payload). Deciding again gives the
 * same answer, so it is not retried: the record goes straight to the listener's recovery, as
 * spring-kafka's {@code DefaultErrorHandler} does with the exceptions it stands for.
 * <p>
 * Its message names the listener, the record's coordinates and what failed, and the type of the
 * spring-messaging exception it stands for; unlike that exception it does not carry the message,
 * whose text would show the record's payload and key in logs.
 */
public class ListenerArgumentException extends MessagingException {

    private final String resolutionFailure;

    ListenerArgumentException(String description, Class<?> resolutionFailure) {
        super(description);
        this.resolutionFailure = resolutionFailure.getName();
    }

    /** The class name of the spring-messaging exception that the method's argument resolution threw. */
    public String getResolutionFailure() {
        return this.resolutionFailure;
    }

}
