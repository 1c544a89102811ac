package io.ackflow.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports an {@link AckflowConfigurationException} as Spring Boot's "APPLICATION FAILED TO
 * START" description and action.
 */
class AckflowFailureAnalyzer extends AbstractFailureAnalyzer<AckflowConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, AckflowConfigurationException cause) {
        return new FailureAnalysis(cause.getMessage(), cause.getAction(), cause);
    }

}
