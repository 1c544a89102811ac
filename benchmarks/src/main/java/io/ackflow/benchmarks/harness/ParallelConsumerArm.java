package io.ackflow.benchmarks.harness;

import java.util.List;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelStreamProcessor;

/**
 * Confluent Parallel Consumer 0.5.3.3 with {@code maxConcurrency} = C, in KEY or UNORDERED
 * order, periodic asynchronous commits; the value is read by the consumer's deserializer, on the
 * thread that polls. Its handlers are blocking, so an asynchronous handler is waited for on its
 * worker thread; several handlers per record run in turn.
 */
final class ParallelConsumerArm implements Arm {

    /** The thread that polls the consumer; Parallel Consumer names it. */
    private static final String POLL_THREAD = "pc-broker-poll";

    private ParallelStreamProcessor<String, Object> processor;

    @Override
    public String name() {
        return "parallel-consumer";
    }

    @Override
    public void start(Spec spec, Completions completions) {
        Workload workload = spec.workload();
        KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(spec.consumerProperties(""),
                new StringDeserializer(), workload.payload.deserializer());
        ParallelConsumerOptions<String, Object> options = ParallelConsumerOptions.<String, Object>builder()
            .consumer(consumer)
            .ordering(ParallelConsumerOptions.ProcessingOrder.valueOf(spec.ordering()))
            .maxConcurrency(spec.concurrency())
            .commitMode(ParallelConsumerOptions.CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
            .build();
        this.processor = ParallelStreamProcessor.createEosStreamProcessor(options);
        this.processor.subscribe(List.of(spec.topic()));
        this.processor.poll((context) -> context.forEach((record) -> {
            long startedAt = Completions.started(record.offset());
            for (int h = 0; h < workload.handlers; h++) {
                try {
                    workload.runBlocking();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                completions.handled(h, record.partition(), record.offset(), record.value(), startedAt);
            }
        }));
    }

    @Override
    public boolean stop() {
        this.processor.close();
        return true;
    }

    @Override
    public boolean isPollThread(String threadName) {
        return threadName.equals(POLL_THREAD);
    }

    /** Its dispatch runs on a second thread, {@code pc-control}, so the poll thread alone is no ceiling. */
    @Override
    public boolean hasCeiling() {
        return false;
    }

}
