package io.ackflow.spring;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * The id of the Kafka cluster a consumer reads, for the observations of its records (their remote
 * service name, {@code Apache Kafka: <id>}), asked of a {@link KafkaAdmin} as spring-kafka's
 * containers and {@code KafkaTemplate} do. The admin keeps the answer and, after a failure,
 * waits before it asks the cluster again.
 * <p>
 * Threads: {@link #get} runs on the handler threads, once per observation. Until the id is known,
 * one of them at a time asks the admin (one {@code describeCluster} call, bounded by the admin's
 * operation timeout; the first record's handler call waits for it) and the others go on without
 * the id; once it is known, {@link #get} is a volatile read.
 */
final class ClusterIdLookup implements Supplier<@Nullable String> {

    private final KafkaAdmin admin;

    private final ReentrantLock asking = new ReentrantLock();

    private volatile @Nullable String clusterId;

    ClusterIdLookup(KafkaAdmin admin) {
        this.admin = admin;
    }

    @Override
    public @Nullable String get() {
        String id = this.clusterId;
        if (id == null && this.asking.tryLock()) {
            try {
                id = this.admin.clusterId();
                this.clusterId = id;
            }
            finally {
                this.asking.unlock();
            }
        }
        return id;
    }

}
