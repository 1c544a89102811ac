package io.ackflow.spring;

/**
 * Ackflow cannot start with the application's configuration. {@link AckflowFailureAnalyzer}
 * turns it into Spring Boot's start-up failure report: what is wrong and how to fix it.
 */
public class AckflowConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String action;

    public AckflowConfigurationException(String description, String action) {
        this(description, action, null);
    }

    public AckflowConfigurationException(String description, String action, Throwable cause) {
        super(description, cause);
        this.action = action;
    }

    /** What the user should change. */
    public String getAction() {
        return this.action;
    }

}
