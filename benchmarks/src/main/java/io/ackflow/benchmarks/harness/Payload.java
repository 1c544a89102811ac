package io.ackflow.benchmarks.harness;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the records of a topic hold and how every arm reads them: {@code text} is a 100-byte
 * String; {@code json} is an {@link Order} of about 1 KB, read with Jackson's {@link JsonMapper}
 * (the one the Spring module uses) through the same Kafka {@link Deserializer} in every arm.
 */
public enum Payload {

    TEXT("text"),

    JSON("json");

    /** Distinct JSON values cycled through when producing. */
    private static final int JSON_SAMPLES = 1000;

    private static final int TEXT_BYTES = 100;

    private static final JsonMapper mapper = JsonMapper.builder().build();

    final String label;

    Payload(String label) {
        this.label = label;
    }

    /** The values to produce, cycled over the records. */
    public byte[][] recordValues() {
        if (this == TEXT) {
            byte[] value = new byte[TEXT_BYTES];
            Arrays.fill(value, (byte) 'x');
            return new byte[][] { value };
        }
        byte[][] values = new byte[JSON_SAMPLES][];
        for (int i = 0; i < JSON_SAMPLES; i++) {
            values[i] = mapper.writeValueAsBytes(Order.sample(i));
        }
        return values;
    }

    /** A new value deserializer; arms that fan out share one instance so it runs once per record. */
    @SuppressWarnings("unchecked")
    public Deserializer<Object> deserializer() {
        if (this == TEXT) {
            return (Deserializer<Object>) (Deserializer<?>) new StringDeserializer();
        }
        return new OrderDeserializer();
    }

    /** Whether a handler received a value of the right kind: the cheap check every handler makes. */
    public boolean valid(Object value) {
        if (this == TEXT) {
            return value instanceof String text && text.length() == TEXT_BYTES;
        }
        return value instanceof Order order && order.lines().size() == Order.LINES;
    }

    /** Reads an {@link Order} from JSON bytes with one shared, thread-safe reader. */
    static final class OrderDeserializer implements Deserializer<Object> {

        private static final ObjectReader reader = mapper.readerFor(Order.class);

        @Override
        public Object deserialize(String topic, byte[] data) {
            return (data == null) ? null : reader.readValue(data);
        }

    }

    static String describe(byte[][] values) {
        long bytes = 0;
        for (byte[] value : values) {
            bytes += value.length;
        }
        return values.length + " distinct value(s) of " + (bytes / values.length) + " bytes on average, e.g. "
                + new String(values[0], 0, Math.min(values[0].length, 80), StandardCharsets.UTF_8) + "...";
    }

}
