package io.ackflow.consumer;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

import org.apache.kafka.common.serialization.Deserializer;

import io.ackflow.consumer.dispatch.RawRecords;
import io.ackflow.consumer.failure.ErrorPolicy;

/**
 * One handler subscribed to one or more topics, with its ordering, concurrency and
 * deserializers. Immutable; build one with {@link #builder(String)}.
 * <p>
 * Every subscription of a topic receives every record of it, and the record is acked only when
 * all of them have released it. Subscriptions of a topic whose key and value deserializers are
 * equal (the same instances, unless the deserializer defines {@code equals}) share one
 * deserialization per record.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class Subscription<K, V> {

    private final String id;

    private final Set<String> topics;

    private final Ordering ordering;

    private final int concurrency;

    private final Deserializer<K> keyDeserializer;

    private final Deserializer<V> valueDeserializer;

    private final RecordHandler<K, V> handler;

    private final BatchHandler<K, V> batchHandler;

    private final Batching batching;

    private final ErrorPolicy errorPolicy;

    private Subscription(Builder<K, V> builder) {
        this.id = builder.id;
        this.topics = Collections.unmodifiableSet(new LinkedHashSet<>(builder.topics));
        this.ordering = builder.ordering;
        this.concurrency = builder.concurrency;
        this.keyDeserializer = builder.keyDeserializer;
        this.valueDeserializer = builder.valueDeserializer;
        this.handler = builder.handler;
        this.batchHandler = builder.batchHandler;
        this.batching = builder.batching;
        this.errorPolicy = builder.errorPolicy;
    }

    /**
     * Starts a subscription with the given id, unique within an engine and named in every
     * message about it.
     */
    public static Builder<byte[], byte[]> builder(String id) {
        return new Builder<>(id);
    }

    public String id() {
        return this.id;
    }

    public Set<String> topics() {
        return this.topics;
    }

    public Ordering ordering() {
        return this.ordering;
    }

    /** Most handler invocations of this subscription that run at once; for a batch subscription, batches. */
    public int concurrency() {
        return this.concurrency;
    }

    public Deserializer<K> keyDeserializer() {
        return this.keyDeserializer;
    }

    public Deserializer<V> valueDeserializer() {
        return this.valueDeserializer;
    }

    /** The handler of each record; null for a batch subscription ({@link #batchHandler()}). */
    public RecordHandler<K, V> handler() {
        return this.handler;
    }

    /** The handler of each batch; null unless this is a batch subscription. */
    public BatchHandler<K, V> batchHandler() {
        return this.batchHandler;
    }

    /** Whether the subscription hands its records over in batches ({@link #batchHandler()}). */
    public boolean isBatch() {
        return this.batchHandler != null;
    }

    /** How a batch subscription gathers its batches; {@link Batching#DEFAULT} unless set, unused otherwise. */
    public Batching batching() {
        return this.batching;
    }

    /** What happens when the handler fails on a record; {@link ErrorPolicy#DEFAULT} unless set. */
    public ErrorPolicy errorPolicy() {
        return this.errorPolicy;
    }

    @Override
    public String toString() {
        return "Subscription[" + this.id + " " + this.topics + " " + this.ordering + " x" + this.concurrency
                + (isBatch() ? " batch " + this.batching.maxRecords() + "/" + this.batching.maxWait().toMillis() + "ms" : "")
                + "]";
    }

    /**
     * Builds a {@link Subscription}; {@link #build()} validates it and names the setting at fault.
     */
    public static final class Builder<K, V> {

        private final String id;

        private Set<String> topics = new LinkedHashSet<>();

        private Ordering ordering = Ordering.PARTITION;

        private int concurrency = EngineConfig.DEFAULT_CONCURRENCY;

        private Deserializer<K> keyDeserializer;

        private Deserializer<V> valueDeserializer;

        private RecordHandler<K, V> handler;

        private BatchHandler<K, V> batchHandler;

        private Batching batching = Batching.DEFAULT;

        private ErrorPolicy errorPolicy = ErrorPolicy.DEFAULT;

        @SuppressWarnings("unchecked")
        private Builder(String id) {
            this.id = id;
            this.keyDeserializer = (Deserializer<K>) RawRecords.DESERIALIZER;
            this.valueDeserializer = (Deserializer<V>) RawRecords.DESERIALIZER;
        }

        public Builder<K, V> topics(String... topics) {
            this.topics = new LinkedHashSet<>(Arrays.asList(topics));
            return this;
        }

        public Builder<K, V> topics(Set<String> topics) {
            this.topics = new LinkedHashSet<>(topics);
            return this;
        }

        public Builder<K, V> ordering(Ordering ordering) {
            this.ordering = ordering;
            return this;
        }

        public Builder<K, V> concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        @SuppressWarnings("unchecked")
        public <K2> Builder<K2, V> keyDeserializer(Deserializer<K2> keyDeserializer) {
            Builder<K2, V> self = (Builder<K2, V>) this;
            self.keyDeserializer = keyDeserializer;
            self.handler = null;
            self.batchHandler = null;
            return self;
        }

        @SuppressWarnings("unchecked")
        public <V2> Builder<K, V2> valueDeserializer(Deserializer<V2> valueDeserializer) {
            Builder<K, V2> self = (Builder<K, V2>) this;
            self.valueDeserializer = valueDeserializer;
            self.handler = null;
            self.batchHandler = null;
            return self;
        }

        /** The handler of each record; replaces a batch handler set before. */
        public Builder<K, V> handler(RecordHandler<K, V> handler) {
            this.handler = handler;
            this.batchHandler = null;
            return this;
        }

        /**
         * Makes this a batch subscription: {@code handler} gets lists of records gathered as
         * {@link #batching} says; replaces a record handler set before. Concurrency counts batches.
         */
        public Builder<K, V> batchHandler(BatchHandler<K, V> handler) {
            this.batchHandler = handler;
            this.handler = null;
            return this;
        }

        /** How a batch subscription gathers its batches; {@link Batching#DEFAULT} unless set. */
        public Builder<K, V> batching(Batching batching) {
            this.batching = batching;
            return this;
        }

        /** Retries and recovery of failed records; see {@link ErrorPolicy}. */
        public Builder<K, V> errorPolicy(ErrorPolicy errorPolicy) {
            this.errorPolicy = errorPolicy;
            return this;
        }

        /**
         * @throws InvalidSettingException naming the subscription, the setting and the value when one is invalid
         */
        public Subscription<K, V> build() {
            if (this.id == null || this.id.isBlank()) {
                throw new InvalidSettingException("id", "'" + this.id + "'", "of a subscription must not be blank");
            }
            if (this.topics.isEmpty()) {
                throw new InvalidSettingException(this.id, "topics", this.topics, "must name at least one topic");
            }
            for (String topic : this.topics) {
                if (topic == null || topic.isBlank()) {
                    throw new InvalidSettingException(this.id, "topics", this.topics, "must not contain a blank name");
                }
            }
            if (this.ordering == null) {
                throw new InvalidSettingException(this.id, "ordering", null,
                        "must be one of " + Arrays.toString(Ordering.values()));
            }
            if (this.concurrency < 1) {
                throw new InvalidSettingException(this.id, "concurrency", this.concurrency, "must be at least 1");
            }
            if (this.keyDeserializer == null) {
                throw new InvalidSettingException(this.id, "keyDeserializer", null, "must not be null");
            }
            if (this.valueDeserializer == null) {
                throw new InvalidSettingException(this.id, "valueDeserializer", null, "must not be null");
            }
            if (this.handler == null && this.batchHandler == null) {
                throw new InvalidSettingException(this.id, "handler", null,
                        "must be set, or a batchHandler (after the deserializers, which fix its types)");
            }
            if (this.batching == null) {
                throw new InvalidSettingException(this.id, "batching", null, "must not be null (use Batching.DEFAULT)");
            }
            this.batching.validate(this.id);
            if (this.errorPolicy == null) {
                throw new InvalidSettingException(this.id, "errorPolicy", null, "must not be null (use ErrorPolicy.DEFAULT)");
            }
            return new Subscription<>(this);
        }

    }

}
