package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import jakarta.validation.constraints.Positive;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/** Test payloads: an order, and a deserializer that builds one the way an Avro or Protobuf one does. */
final class Orders {

    /** The setting {@link OrderDeserializer} reads in {@code configure}. */
    static final String REGION = "orders.region";

    private Orders() {
    }

    /** An order; {@code region} is set by the deserializer from its settings, not by the record. */
    record Order(String id, @Positive int quantity, String region) {

        static String text(int n) {
            return "o-" + n + ":" + (n + 1);
        }

    }

    /**
     * Reads {@code id:quantity} text into an {@link Order} of the region its settings name; refuses
     * anything else. Configured once, by whoever creates it, as Kafka clients configure theirs.
     */
    public static final class OrderDeserializer implements Deserializer<Order> {

        private String region = "unconfigured";

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            Object region = configs.get(REGION);
            this.region = (region != null) ? region.toString() : "none";
        }

        @Override
        public Order deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            String text = new String(data, StandardCharsets.UTF_8);
            String[] parts = text.split(":");
            if (parts.length != 2 || !parts[1].chars().allMatch(Character::isDigit)) {
                throw new SerializationException("Not an order: '" + text + "'");
            }
            return new Order(parts[0], Integer.parseInt(parts[1]), this.region);
        }

    }

}
