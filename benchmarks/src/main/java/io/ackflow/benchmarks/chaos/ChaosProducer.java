package io.ackflow.benchmarks.chaos;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes the run's input at a steady rate: {@code records} records over {@code keys} keys, each
 * key's records numbered from 0 (its sequence), a share of them poison pills (a value that is not
 * JSON, which carries no sequence). Idempotent, {@code acks=all}, so a broker killed under it
 * neither loses nor reorders what it acknowledged. Runs on the caller's thread.
 */
final class ChaosProducer {

    private final String bootstrap;

    private final String topic;

    private final ChaosSettings settings;

    private final AtomicLong sent = new AtomicLong();

    private final AtomicLong acked = new AtomicLong();

    private final AtomicLong failed = new AtomicLong();

    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();

    ChaosProducer(String bootstrap, String topic, ChaosSettings settings) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.settings = settings;
    }

    /** Produces everything, spread evenly over {@code settings.producePhase()}, and waits for every acknowledgement. */
    void run() throws InterruptedException {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000, ProducerConfig.CLIENT_ID_CONFIG, "chaos-producer");
        long records = this.settings.records();
        int keys = this.settings.keys();
        long[] nextSeq = new long[keys];
        SplittableRandom random = new SplittableRandom(this.settings.seed());
        long periodNanos = this.settings.producePhase().toNanos();
        long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            for (long n = 0; n < records; n++) {
                long due = start + (long) ((double) periodNanos * n / records);
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing the load, not waiting for a condition
                }
                int k = random.nextInt(keys);
                String key = "k" + k;
                byte[] value = isPoison(n)
                        ? ("not json #" + n).getBytes(StandardCharsets.UTF_8)
                        : ("{\"key\":\"" + key + "\",\"seq\":" + nextSeq[k]++ + ",\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(this.topic, key, value), (metadata, failure) -> {
                    if (failure == null) {
                        this.acked.incrementAndGet();
                    }
                    else {
                        this.failed.incrementAndGet();
                        this.firstFailure.compareAndSet(null, failure);
                    }
                });
                this.sent.incrementAndGet();
            }
            producer.flush();
        }
    }

    /** Poison pills are chosen by a hash of their number, so a run with the same settings has the same ones. */
    boolean isPoison(long n) {
        long h = (n + this.settings.seed()) * 0xBF58476D1CE4E5B9L;
        h ^= (h >>> 31);
        return Math.floorMod(h, 1_000_000L) < Math.round(this.settings.poisonRate() * 1_000_000);
    }

    long sent() {
        return this.sent.get();
    }

    long acked() {
        return this.acked.get();
    }

    long failed() {
        return this.failed.get();
    }

    Exception firstFailure() {
        return this.firstFailure.get();
    }

}
