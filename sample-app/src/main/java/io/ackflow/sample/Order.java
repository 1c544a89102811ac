package io.ackflow.sample;

/**
 * An order as it travels on the {@code orders} topic, as JSON.
 */
public record Order(String id, String customer, long cents) {
}
