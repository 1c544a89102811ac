package io.ackflow.spring;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.converter.MessagingMessageConverter;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessagingException;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

import io.ackflow.consumer.RecordHandler;

/**
 * Calls a {@code @StreamListener} method for a record: the record becomes a spring-messaging
 * {@link Message} through spring-kafka's {@link MessagingMessageConverter} (payload, key and the
 * standard Kafka headers), the method's arguments are resolved from it, and the
 * {@link ConsumerRecord} itself is offered for a parameter of that type. Stateless, so safe from
 * any handler thread.
 * <p>
 * Arguments that cannot be resolved (a missing header, a payload that cannot be converted or that
 * fails {@code @Valid}) fail with a {@link ListenerArgumentException} naming the listener and the
 * record's coordinates, which is not retried: the one spring-messaging throws prints the whole
 * message, payload and headers (the key among them), in its {@code toString()}, and the engine
 * logs the failure at WARN. That one is logged at DEBUG.
 */
final class MethodRecordHandler implements RecordHandler<Object, Object> {

    private static final Logger logger = LoggerFactory.getLogger(MethodRecordHandler.class);

    private final String id;

    private final InvocableHandlerMethod method;

    private final MessagingMessageConverter converter;

    MethodRecordHandler(String id, InvocableHandlerMethod method, MessagingMessageConverter converter) {
        this.id = id;
        this.method = method;
        this.converter = converter;
    }

    @Override
    public CompletionStage<?> handle(ConsumerRecord<Object, Object> record) throws Exception {
        Message<?> message = this.converter.toMessage(record, null, null, null);
        if (record.deliveryCount().isPresent()) {
            // A share group's delivery count, under the header spring-kafka gives delivery attempts.
            message = MessageBuilder.fromMessage(message)
                .setHeader(KafkaHeaders.DELIVERY_ATTEMPT, (int) record.deliveryCount().get())
                .build();
        }
        Object result;
        try {
            result = this.method.invoke(message, record);
        }
        catch (MessagingException ex) {
            if (ex.getFailedMessage() != message) {
                throw ex;
            }
            throw withoutContents(ex, message, record);
        }
        return (result instanceof CompletionStage<?> stage) ? stage : null;
    }

    private ListenerArgumentException withoutContents(MessagingException ex, Message<?> message,
            ConsumerRecord<Object, Object> record) {
        String coordinates = record.topic() + "-" + record.partition() + "@" + record.offset();
        logger.debug("@StreamListener '{}' cannot resolve its arguments for {}", this.id, coordinates, ex);
        // Resolvers write the message into their text ("Cannot convert from ... for GenericMessage [...]").
        String description = String.valueOf(ex.getMessage()).replace(message.toString(), coordinates);
        return new ListenerArgumentException("@StreamListener '" + this.id + "' cannot resolve its arguments for "
                + coordinates + ": " + description + " (" + ex.getClass().getSimpleName() + ")", ex.getClass());
    }

}
