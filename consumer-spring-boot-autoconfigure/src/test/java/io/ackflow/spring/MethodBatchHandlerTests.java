package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.converter.MessagingMessageConverter;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;

import io.ackflow.consumer.failure.BatchFailedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * What a batch {@code @StreamListener} method gets in each shape, and how spring-kafka's
 * {@link BatchListenerFailedException}, thrown or completing its future, becomes the engine's
 * {@link BatchFailedException} naming the same record.
 */
class MethodBatchHandlerTests {

    private final Methods bean = new Methods();

    private final ListenerMethodFactory factory = new ListenerMethodFactory(new DefaultListableBeanFactory());

    private final List<ConsumerRecord<Object, Object>> records = List.of(record(7, "k7", "a", "t1"),
            record(8, "k8", "b", "t2"), record(9, "k9", "c", "t3"));

    @Test
    void payloadsComeWithOneHeaderElementPerRecord() throws Exception {
        assertThat(handler("payloads").handle(this.records)).isNull();
        assertThat(this.bean.seen).containsExactly("[a, b, c]", "[k7, k8, k9]", "[7, 8, 9]");
    }

    @Test
    void recordsAreTheEnginesOwnInstances() throws Exception {
        handler("records").handle(this.records);
        assertThat(this.bean.records).containsExactlyElementsOf(this.records);
        assertThat(this.bean.records.get(1)).isSameAs(this.records.get(1));
    }

    @Test
    void eachMessageCarriesItsOwnRecordsHeaders() throws Exception {
        handler("messages").handle(this.records);
        assertThat(this.bean.seen).containsExactly("a k7 7 t1", "b k8 8 t2", "c k9 9 t3");
    }

    @Test
    void aBatchListenerFailedExceptionByIndexNamesTheSameIndex() {
        this.bean.failAt = 1;
        Throwable failure = catchThrowable(() -> handler("payloads").handle(this.records));
        assertThat(failure).isInstanceOf(BatchFailedException.class);
        assertThat(((BatchFailedException) failure).index()).isEqualTo(1);
        assertThat(((BatchFailedException) failure).failure()).isInstanceOf(IllegalStateException.class)
            .hasMessage("row b refused");
    }

    @Test
    void aBatchListenerFailedExceptionByRecordNamesThatRecord() {
        this.bean.failAt = 2;
        Throwable failure = catchThrowable(() -> handler("records").handle(this.records));
        assertThat(failure).isInstanceOf(BatchFailedException.class);
        assertThat(((BatchFailedException) failure).record()).isSameAs(this.records.get(2));
    }

    @Test
    void aFutureFailingWithABatchListenerFailedExceptionFailsWithTheEnginesException() throws Exception {
        this.bean.failAt = 0;
        CompletableFuture<?> stage = handler("async").handle(this.records).toCompletableFuture();
        Throwable failure = catchThrowable(stage::join);
        assertThat(failure).isInstanceOf(CompletionException.class).cause().isInstanceOf(BatchFailedException.class);
        assertThat(((BatchFailedException) failure.getCause()).index()).isZero();
    }

    private MethodBatchHandler handler(String name) {
        java.lang.reflect.Method method = java.util.Arrays.stream(Methods.class.getDeclaredMethods())
            .filter((m) -> m.getName().equals(name)).findFirst().orElseThrow();
        BatchShape shape = ListenerParameters.of(method).batch();
        return new MethodBatchHandler(this.factory.create(this.bean, method), shape, new MessagingMessageConverter());
    }

    private static ConsumerRecord<Object, Object> record(long offset, String key, String value, String tenant) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("tenant", tenant.getBytes(StandardCharsets.UTF_8));
        return new ConsumerRecord<>("orders", 0, offset, 0L, TimestampType.CREATE_TIME, 0, 0, key, value, headers,
                java.util.Optional.empty());
    }

    static class Methods {

        final List<String> seen = Collections.synchronizedList(new ArrayList<>());

        final List<ConsumerRecord<?, ?>> records = new ArrayList<>();

        int failAt = -1;

        void payloads(List<String> values, @Header(KafkaHeaders.RECEIVED_KEY) List<String> keys,
                @Header(KafkaHeaders.OFFSET) List<Long> offsets) {
            if (this.failAt >= 0) {
                throw new BatchListenerFailedException("refused", new IllegalStateException("row " + values.get(this.failAt)
                        + " refused"), this.failAt);
            }
            this.seen.add(values.toString());
            this.seen.add(keys.toString());
            this.seen.add(offsets.toString());
        }

        void records(List<ConsumerRecord<String, String>> records) {
            if (this.failAt >= 0) {
                throw new BatchListenerFailedException("refused", records.get(this.failAt));
            }
            this.records.addAll(records);
        }

        void messages(List<Message<String>> messages) {
            for (Message<String> message : messages) {
                Map<String, Object> headers = message.getHeaders();
                this.seen.add(message.getPayload() + " " + headers.get(KafkaHeaders.RECEIVED_KEY) + " "
                        + headers.get(KafkaHeaders.OFFSET) + " " + new String((byte[]) headers.get("tenant"),
                                StandardCharsets.UTF_8));
            }
        }

        CompletableFuture<Void> async(List<String> values) {
            return CompletableFuture.failedFuture(new BatchListenerFailedException("refused", this.failAt));
        }

    }

}
