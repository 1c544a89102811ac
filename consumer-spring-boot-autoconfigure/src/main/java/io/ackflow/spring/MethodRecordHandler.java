package io.ackflow.spring;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.support.converter.MessagingMessageConverter;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

import io.ackflow.consumer.RecordHandler;

/**
 * Calls a {@code @StreamListener} method for a record: the record becomes a spring-messaging
 * {@link Message} through spring-kafka's {@link MessagingMessageConverter} (payload, key and the
 * standard Kafka headers), the method's arguments are resolved from it, and the
 * {@link ConsumerRecord} itself is offered for a parameter of that type. Stateless, so safe from
 * any handler thread.
 */
final class MethodRecordHandler implements RecordHandler<Object, Object> {

    private final InvocableHandlerMethod method;

    private final MessagingMessageConverter converter;

    MethodRecordHandler(InvocableHandlerMethod method, MessagingMessageConverter converter) {
        this.method = method;
        this.converter = converter;
    }

    @Override
    public CompletionStage<?> handle(ConsumerRecord<Object, Object> record) throws Exception {
        Message<?> message = this.converter.toMessage(record, null, null, null);
        Object result = this.method.invoke(message, record);
        return (result instanceof CompletionStage<?> stage) ? stage : null;
    }

}
