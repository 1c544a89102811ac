package io.ackflow.benchmarks.harness;

/**
 * One column of the comparison: an arm with its ordering and concurrency.
 *
 * @param arm plain, spring-kafka, parallel-consumer, ackflow, ackflow-batch, or the share arms
 *        spring-kafka-share and ackflow-share
 * @param ordering PARTITION, KEY or UNORDERED; "-" for the plain loop
 * @param concurrency handlers at once (the partitions for spring-kafka, 1 for the plain loop; share
 *        consumers for spring-kafka-share)
 */
record Variant(String arm, String ordering, int concurrency) {

    static final String PLAIN = "plain";

    /** Ackflow with batch handlers: runs only when asked for with {@code arms=ackflow-batch}. */
    static final String BATCH = "ackflow-batch";

    Arm create() {
        return switch (this.arm) {
            case PLAIN -> new PlainArm();
            case "spring-kafka" -> new SpringKafkaArm();
            case "parallel-consumer" -> new ParallelConsumerArm();
            case "ackflow" -> new AckflowArm();
            case BATCH -> new AckflowBatchArm();
            case "spring-kafka-share" -> new SpringKafkaShareArm();
            case "ackflow-share" -> new AckflowShareArm();
            default -> throw new IllegalArgumentException("Unknown arm '" + this.arm + "'");
        };
    }

    boolean plain() {
        return this.arm.equals(PLAIN);
    }

    /**
     * The most records per second a handler of {@code serviceMillis} allows: the records that can
     * wait at once (min of concurrency and keys under KEY order, the partitions under PARTITION
     * order, the concurrency unordered, one for the plain loop) divided by the service time; for
     * the batch arm, whose service time is per batch, times the records of a full batch.
     */
    double limit(int serviceMillis, int keys, int partitions) {
        int parallel = switch (this.ordering) {
            case "KEY" -> Math.min(this.concurrency, keys);
            case "PARTITION" -> Math.min(this.concurrency, partitions);
            case "UNORDERED" -> this.concurrency;
            default -> 1;
        };
        int perCall = this.arm.equals(BATCH) ? AckflowBatchArm.MAX_RECORDS : 1;
        return parallel * perCall * 1000.0 / serviceMillis;
    }

    @Override
    public String toString() {
        return this.arm + (plain() ? "" : " " + this.ordering + " C=" + this.concurrency);
    }

}
