package io.ackflow.benchmarks.harness;

import java.util.List;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelStreamProcessor;

/**
 * Confluent Parallel Consumer 0.5.3.3 with {@code maxConcurrency} = C, in KEY or UNORDERED
 * order, periodic asynchronous commits. Its handlers are blocking, so an asynchronous handler is
 * waited for on its worker thread; two handlers per record run in turn.
 */
final class ParallelConsumerArm implements Arm {

    private ParallelStreamProcessor<String, String> processor;

    @Override
    public String name() {
        return "parallel-consumer";
    }

    @Override
    public void start(Spec spec, Probe probe) {
        FanOutCounter counter = new FanOutCounter(1, probe);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(spec.consumerProperties(""),
                new StringDeserializer(), new StringDeserializer());
        ParallelConsumerOptions<String, String> options = ParallelConsumerOptions.<String, String>builder()
            .consumer(consumer)
            .ordering(ParallelConsumerOptions.ProcessingOrder.valueOf(spec.ordering()))
            .maxConcurrency(spec.concurrency())
            .commitMode(ParallelConsumerOptions.CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
            .build();
        this.processor = ParallelStreamProcessor.createEosStreamProcessor(options);
        this.processor.subscribe(List.of(spec.topic()));
        this.processor.poll((context) -> {
            long startedAt = System.nanoTime();
            try {
                for (int h = 0; h < spec.workload().handlers; h++) {
                    spec.workload().runBlocking();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            context.forEach((record) -> counter.done(record.partition(), record.offset(), startedAt));
        });
    }

    @Override
    public void stop() {
        this.processor.close();
    }

}
