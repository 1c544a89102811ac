package io.ackflow.spring;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.messaging.Message;

/**
 * How a batch {@code @StreamListener} method takes its records, as spring-kafka's batch listeners
 * do: the records themselves, one spring-messaging {@link Message} per record, or the payloads.
 * In every shape, {@code @Header} parameters get one list per header, one element per record
 * (spring-kafka's {@code BatchMessagingMessageConverter}).
 */
enum BatchShape {

    /** {@code List<ConsumerRecord<K, V>>}: the records, keys and values deserialized. */
    RECORDS,

    /** {@code List<Message<T>>}: one message per record, payload converted, with its own headers. */
    MESSAGES,

    /** {@code List<T>}: the payloads, converted as for a single record. */
    PAYLOADS;

    /** The shape of a {@code List} payload parameter. */
    static BatchShape of(MethodParameter parameter) {
        Class<?> element = ResolvableType.forMethodParameter(parameter).as(java.util.List.class).getGeneric(0).resolve();
        if (element != null && ConsumerRecord.class.isAssignableFrom(element)) {
            return RECORDS;
        }
        if (element != null && Message.class.isAssignableFrom(element)) {
            return MESSAGES;
        }
        return PAYLOADS;
    }

}
