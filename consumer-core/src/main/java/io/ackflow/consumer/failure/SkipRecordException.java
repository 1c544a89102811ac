package io.ackflow.consumer.failure;

/**
 * Thrown by a handler to say "not mine": the record is released at once, without a retry, a
 * recovery or a failure count (it is counted as skipped and logged at DEBUG).
 */
public class SkipRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SkipRecordException(String reason) {
        super(reason, null, false, false);
    }

}
