package io.ackflow.sample;

/**
 * The payment provider refused the charge for good: retrying cannot help, so the sample's
 * configuration lists it as not retryable and the order goes to the dead-letter topic.
 */
public class PaymentDeclinedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PaymentDeclinedException(String message) {
        super(message);
    }

}
