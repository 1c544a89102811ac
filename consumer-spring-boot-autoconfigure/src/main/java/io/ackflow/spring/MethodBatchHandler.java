package io.ackflow.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.converter.BatchMessagingMessageConverter;
import org.springframework.kafka.support.converter.MessagingMessageConverter;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

import io.ackflow.consumer.BatchHandler;
import io.ackflow.consumer.failure.BatchFailedException;

/**
 * Calls a batch {@code @StreamListener} method (one whose payload parameter is a {@code List}) for
 * a batch of records, as spring-kafka calls a batch {@code @KafkaListener}: spring-kafka's
 * {@link BatchMessagingMessageConverter} makes the batch one {@link Message} whose payload is the
 * list of values and whose headers are lists with one element per record ({@code RECEIVED_KEY},
 * {@code OFFSET}, ...); a {@code List<ConsumerRecord>} parameter gets the records themselves, a
 * {@code List<Message<T>>} one message per record made by {@link MessagingMessageConverter}.
 * <p>
 * A {@link BatchListenerFailedException} the method throws (or its future fails with) becomes
 * the engine's {@link BatchFailedException} naming the same record: the records before it are
 * done, that record is retried and recovered alone, the records after it are handed over again.
 * Stateless, so safe from any handler thread.
 */
final class MethodBatchHandler implements BatchHandler<Object, Object> {

    private final InvocableHandlerMethod method;

    private final BatchShape shape;

    private final BatchMessagingMessageConverter converter = new BatchMessagingMessageConverter();

    private final MessagingMessageConverter recordConverter;

    MethodBatchHandler(InvocableHandlerMethod method, BatchShape shape, MessagingMessageConverter recordConverter) {
        this.method = method;
        this.shape = shape;
        this.recordConverter = recordConverter;
    }

    @Override
    public CompletionStage<?> handle(List<ConsumerRecord<Object, Object>> records) throws Exception {
        @SuppressWarnings({ "unchecked", "rawtypes" })
        List<ConsumerRecord<?, ?>> batch = (List) records;
        Message<?> message = this.converter.toMessage(batch, null, null, null);
        Object result;
        try {
            result = switch (this.shape) {
                case RECORDS -> this.method.invoke(message, records);
                case MESSAGES -> this.method.invoke(MessageBuilder.withPayload(messages(records))
                    .copyHeaders(message.getHeaders()).build());
                default -> this.method.invoke(message);
            };
        }
        catch (BatchListenerFailedException ex) {
            throw named(ex);
        }
        if (result instanceof CompletionStage<?> stage) {
            return stage.handle((value, failure) -> {
                if (failure == null) {
                    return value;
                }
                Throwable cause = unwrap(failure);
                throw (cause instanceof BatchListenerFailedException named) ? named(named)
                        : (failure instanceof CompletionException completion) ? completion
                                : new CompletionException(cause);
            });
        }
        return null;
    }

    private List<Message<?>> messages(List<ConsumerRecord<Object, Object>> records) {
        List<Message<?>> messages = new ArrayList<>(records.size());
        for (ConsumerRecord<Object, Object> record : records) {
            messages.add(this.recordConverter.toMessage(record, null, null, null));
        }
        return messages;
    }

    /** spring-kafka's failure of a batch listener as the engine's: by index, else by record. */
    private static BatchFailedException named(BatchListenerFailedException ex) {
        Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
        return (ex.getRecord() != null) ? new BatchFailedException(ex.getRecord(), cause)
                : new BatchFailedException(ex.getIndex(), cause);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

}
