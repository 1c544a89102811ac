package io.ackflow.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * The value of the {@code json} workload: an order of about 1 KB of JSON, a dozen fields with a
 * nested address and a list of lines, read into this class by every arm.
 */
record Order(String id, long sequence, String customerId, String customerName, String email, String currency,
        long totalCents, boolean express, String status, long createdAtMillis, Address shippingAddress,
        List<Line> lines, List<String> tags) {

    record Address(String street, String city, String postalCode, String country) {
    }

    record Line(String sku, String description, int quantity, long unitPriceCents) {
    }

    private static final String[] STATUSES = { "NEW", "PAID", "PACKED", "SHIPPED" };

    private static final String[] CITIES = { "Lyon", "Porto", "Gdansk", "Utrecht", "Aarhus", "Graz" };

    /** A deterministic order, different for each {@code n}; with {@link #LINES} lines it serializes to about 1 KB. */
    static Order sample(int n) {
        List<Line> lines = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < LINES; i++) {
            Line line = new Line("SKU-" + (100_000 + (n * 7 + i * 13) % 900_000), "Item " + i + " of order " + n
                    + ", standard packaging", 1 + (n + i) % 5, 199 + (n * 31L + i * 17L) % 99_800);
            total += line.quantity() * line.unitPriceCents();
            lines.add(line);
        }
        Address address = new Address((n % 997) + " Long Street, Building " + (n % 13), CITIES[n % CITIES.length],
                String.format("%05d", n % 100_000), "EU");
        return new Order("order-" + n, n, "customer-" + (n % 50_000), "Customer Number " + (n % 50_000),
                "customer" + (n % 50_000) + "@example.com", "EUR", total, n % 3 == 0, STATUSES[n % STATUSES.length],
                1_767_225_600_000L + n * 1000L, address, lines, List.of("web", "priority-" + (n % 4), "batch-" + (n % 7)));
    }

    /** Lines per sample order. */
    static final int LINES = 6;

}
