package io.ackflow.benchmarks.chaos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.ackflow.consumer.testing.ChildJvm;

/**
 * Reads back what a chaos run left: the input (the truth: which records exist, which are poison
 * pills, each record's key and sequence), the output topic (one record per processing by the
 * {@code write} listener, keyed like its input and stamped at the moment it was sent), the
 * dead-letter topic, and the {@code count} listener's files, then computes the figures of a
 * {@link ChaosReport}. Runs on the harness's thread after the consumers have stopped.
 */
final class ChaosVerifier {

    private final String bootstrap;

    private final ChaosSettings settings;

    private final List<FaultEvent> events;

    ChaosVerifier(String bootstrap, ChaosSettings settings, List<FaultEvent> events) {
        this.bootstrap = bootstrap;
        this.settings = settings;
        this.events = events.stream().sorted(java.util.Comparator.comparingLong(FaultEvent::epochMillis)).toList();
    }

    ChaosReport verify(long producedAcked, Map<TopicPartition, Long> end, Map<TopicPartition, Long> committed,
            List<ChildJvm> instances, List<String> anomalies, long drainedAtMillis, long elapsedMillis) throws IOException {
        int partitions = this.settings.partitions();
        List<String> notes = new ArrayList<>(anomalies);
        Input[] input = new Input[partitions];
        for (int p = 0; p < partitions; p++) {
            input[p] = new Input((int) (long) end.getOrDefault(new TopicPartition(ChaosRun.INPUT, p), 0L));
        }
        int[] recordsOfKey = new int[this.settings.keys()];
        int[] inputOrderBreaks = { 0 };
        readAll(ChaosRun.INPUT, partitions, (record) -> {
            Input in = input[record.partition()];
            int o = (int) record.offset();
            int key = keyId(record.key());
            in.key[o] = key;
            String value = new String(record.value(), StandardCharsets.UTF_8);
            if (value.startsWith("not json")) {
                in.seq[o] = -1;
                return;
            }
            int seq = (int) numberAfter(value, "\"seq\":");
            in.seq[o] = seq;
            if (seq != recordsOfKey[key]) {
                inputOrderBreaks[0]++;
            }
            recordsOfKey[key] = Math.max(recordsOfKey[key], seq + 1);
        });
        if (inputOrderBreaks[0] > 0) {
            notes.add(inputOrderBreaks[0] + " input records are not in their key's sequence order (a producer reorder)");
        }

        // Output: count every processing, remember the first and the last, and when each key's sequence
        // was last processed. "Last" is by the time the output was sent (its create timestamp; every
        // process runs on this machine's clock), then by output offset: a member that lost a partition
        // while its send was held up (the broker down) can append its earlier processing after the new
        // owner's, and that late append is not a later processing.
        long[][] lastTime = new long[this.settings.keys()][];
        long[][] lastPosition = new long[this.settings.keys()][];
        long[][] lastInput = new long[this.settings.keys()][]; // partition * 2^32 + offset of the input
        int[] outputPartitionOfKey = new int[this.settings.keys()];
        java.util.Arrays.fill(outputPartitionOfKey, -1);
        long[] outputRecords = { 0 };
        int[] mismatches = { 0 };
        int[] keysOnTwoPartitions = { 0 };
        readAll(ChaosRun.OUTPUT, partitions, (record) -> {
            outputRecords[0]++;
            int key = keyId(record.key());
            String[] fields = new String(record.value(), StandardCharsets.UTF_8).split(",");
            int p = Integer.parseInt(fields[0]);
            int o = (int) Long.parseLong(fields[1]);
            int seq = Integer.parseInt(fields[2]);
            Input in = input[p];
            if (o >= in.size() || in.seq[o] != seq || in.key[o] != key) {
                mismatches[0]++;
                return;
            }
            in.processed(o, record.timestamp());
            if (outputPartitionOfKey[key] == -1) {
                outputPartitionOfKey[key] = record.partition();
            }
            else if (outputPartitionOfKey[key] != record.partition()) {
                keysOnTwoPartitions[0]++;
            }
            if (lastPosition[key] == null) {
                lastPosition[key] = new long[recordsOfKey[key]];
                lastTime[key] = new long[recordsOfKey[key]];
                lastInput[key] = new long[recordsOfKey[key]];
                java.util.Arrays.fill(lastPosition[key], -1);
            }
            // Read in offset order: a write at the same time or later is the last processing.
            if (lastPosition[key][seq] < 0 || record.timestamp() >= lastTime[key][seq]) {
                lastPosition[key][seq] = record.offset();
                lastTime[key][seq] = record.timestamp();
                lastInput[key][seq] = ((long) p << 32) | o;
            }
        });
        if (mismatches[0] > 0) {
            notes.add(mismatches[0] + " output records do not match the input record they name");
        }
        if (keysOnTwoPartitions[0] > 0) {
            notes.add(keysOnTwoPartitions[0] + " output records of a key are on another output partition than its first one");
        }

        // Per-key order, counting each record's last processing only.
        // A member the group dropped while the broker was down learns so only at its next heartbeat
        // or commit; until then it may still process records its successor processes too, and no
        // at-least-once consumer orders those two. Such a reordering is counted apart: its later
        // processing came during a broker fault's aftermath, of a record in flight at that fault.
        long orderViolations = 0;
        long reorderedByADroppedMember = 0;
        for (int key = 0; key < lastPosition.length; key++) {
            long[] positions = lastPosition[key];
            if (positions == null) {
                continue;
            }
            long previousTime = Long.MIN_VALUE;
            long previousPosition = -1;
            long previousInput = -1;
            for (int seq = 0; seq < positions.length; seq++) {
                if (positions[seq] < 0) {
                    continue;
                }
                long time = lastTime[key][seq];
                if (time < previousTime || (time == previousTime && positions[seq] < previousPosition)) {
                    if (inBrokerAftermath(previousInput, previousTime)) {
                        reorderedByADroppedMember++;
                    }
                    else {
                        orderViolations++;
                    }
                }
                else {
                    previousTime = time;
                    previousPosition = positions[seq];
                    previousInput = lastInput[key][seq];
                }
            }
        }
        if (reorderedByADroppedMember > 0) {
            notes.add(reorderedByADroppedMember + " per-key reorderings during a broker fault's aftermath: a member the group"
                    + " had dropped processed a record in flight at the fault after its successor had processed a later"
                    + " one of the key (not counted as violations)");
        }

        long[] deadLetters = { 0 };
        readAll(ChaosRun.DEAD_LETTERS, 2, (record) -> {
            deadLetters[0]++;
            String subscription = header(record, "ackflow_dlt-subscription");
            int p = ByteBuffer.wrap(record.headers().lastHeader("kafka_dlt-original-partition").value()).getInt();
            long o = ByteBuffer.wrap(record.headers().lastHeader("kafka_dlt-original-offset").value()).getLong();
            if ("write".equals(subscription)) {
                input[p].deadLettered[(int) o]++;
            }
            else {
                notes.add("listener '" + subscription + "' dead-lettered " + ChaosRun.INPUT + "-" + p + "@" + o);
            }
        });

        long counterEntries = 0;
        Path counts = this.settings.dir().resolve("counts");
        try (Stream<Path> files = Files.exists(counts) ? Files.list(counts) : Stream.empty()) {
            for (Path file : (Iterable<Path>) files::iterator) {
                ByteBuffer entries = ByteBuffer.wrap(Files.readAllBytes(file));
                while (entries.remaining() >= 12) {
                    int p = entries.getInt();
                    long o = entries.getLong();
                    counterEntries++;
                    if (p < partitions && o < input[p].size()) {
                        input[p].counted[(int) o]++;
                    }
                }
            }
        }

        // Tally, and attribute each duplicate to a fault when it was in flight at one.
        long produced = 0;
        long poison = 0;
        long processed = 0;
        long lost = 0;
        long poisonLost = 0;
        long deadLetteredNotPoison = 0;
        long duplicateProcessings = 0;
        long duplicatedRecords = 0;
        long inFlightDuplicatedRecords = 0;
        long dltDuplicates = 0;
        long countedDistinct = 0;
        long countedLost = 0;
        long startEpoch = this.events.isEmpty() ? 0 : this.events.get(0).epochMillis() - this.events.get(0).relativeMillis();
        Map<String, Long> duplicatesByFault = new java.util.TreeMap<>();
        List<String> lostExamples = new ArrayList<>();
        List<String> unexplainedExamples = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            Input in = input[p];
            for (int o = 0; o < in.size(); o++) {
                produced++;
                boolean isPoison = in.seq[o] == -1;
                if (isPoison) {
                    poison++;
                    if (in.deadLettered[o] == 0) {
                        poisonLost++;
                        example(lostExamples, "poison pill " + ChaosRun.INPUT + "-" + p + "@" + o + " is not on the DLT");
                    }
                    dltDuplicates += Math.max(0, in.deadLettered[o] - 1);
                }
                else {
                    if (in.processings[o] > 0) {
                        processed++;
                    }
                    else if (in.deadLettered[o] > 0) {
                        deadLetteredNotPoison++;
                    }
                    else {
                        lost++;
                        example(lostExamples, ChaosRun.INPUT + "-" + p + "@" + o + " (key k" + in.key[o] + ", seq " + in.seq[o]
                                + ") is neither in the output nor on the DLT");
                    }
                    if (in.processings[o] > 1) {
                        duplicatedRecords++;
                        duplicateProcessings += in.processings[o] - 1;
                        FaultEvent fault = inFlightAtAFault(p, o, in.firstAt[o], in.lastAt[o]);
                        if (fault != null) {
                            inFlightDuplicatedRecords++;
                            duplicatesByFault.merge(kind(fault), 1L, Long::sum);
                        }
                        else {
                            example(unexplainedExamples, ChaosRun.INPUT + "-" + p + "@" + o + " processed " + in.processings[o]
                                    + " times, first at +" + (in.firstAt[o] - startEpoch) + " ms, last at +"
                                    + (in.lastAt[o] - startEpoch) + " ms");
                        }
                    }
                }
                if (in.counted[o] > 0) {
                    countedDistinct++;
                }
                else {
                    countedLost++;
                    example(lostExamples, ChaosRun.INPUT + "-" + p + "@" + o + " never reached the count listener");
                }
            }
        }
        lost += poisonLost;
        if (!unexplainedExamples.isEmpty()) {
            notes.add("duplicates not in flight at any fault, for example: " + String.join("; ", unexplainedExamples));
        }
        if (!lostExamples.isEmpty()) {
            notes.add("lost, for example: " + String.join("; ", lostExamples));
        }
        LogFacts logs = LogFacts.read(instances);
        return new ChaosReport(this.settings.describe(), producedAcked, produced, poison, processed, lost, deadLetteredNotPoison,
                deadLetters[0], dltDuplicates, outputRecords[0], duplicatedRecords, duplicateProcessings,
                inFlightDuplicatedRecords, duplicatesByFault, orderViolations, counterEntries, countedDistinct, countedLost, new HashMap<>(committed),
                new HashMap<>(end), this.events, logs, notes, Duration.ofMillis(drainedAtMillis),
                Duration.ofMillis(elapsedMillis));
    }

    /**
     * A record processed more than once was in flight at a fault when its offset was at or above
     * its partition's committed offset read just before the fault, its first processing came before
     * the fault (or, for the broker, before its aftermath ended: see {@link FaultEvent#inFlightUntil})
     * and a later one after it: processed, but not committed when the fault struck. The committed
     * offsets are read a few milliseconds before the fault, so the window is, if anything, slightly
     * wider than the true one; which instance owned the partition is not taken into account.
     */
    private FaultEvent inFlightAtAFault(int partition, int offset, long firstAt, long lastAt) {
        TopicPartition tp = new TopicPartition(ChaosRun.INPUT, partition);
        for (FaultEvent event : this.events) {
            if (!event.leavesRecordsInFlight() || firstAt > event.inFlightUntil() || lastAt < event.epochMillis()) {
                continue;
            }
            Long committed = event.committedBefore().get(tp);
            if (committed == null || offset >= committed) {
                return event; // the first fault, in time, that caught it in flight
            }
        }
        return null;
    }

    /**
     * Whether a processing at {@code epochMillis} of the input record {@code input} (partition in
     * the high 32 bits, offset in the low) came during a broker fault's aftermath, of a record in
     * flight at that fault (at or above its partition's committed offset read just before it).
     */
    private boolean inBrokerAftermath(long input, long epochMillis) {
        TopicPartition tp = new TopicPartition(ChaosRun.INPUT, (int) (input >>> 32));
        long offset = input & 0xFFFFFFFFL;
        for (FaultEvent event : this.events) {
            if (!event.leavesRecordsInFlight() || !kind(event).equals("broker SIGKILL")
                    || epochMillis < event.epochMillis() || epochMillis > event.inFlightUntil()) {
                continue;
            }
            Long committed = event.committedBefore().get(tp);
            if (committed == null || offset >= committed) {
                return true;
            }
        }
        return false;
    }

    /** The kind of a fault, as the report counts duplicates by it. */
    static String kind(FaultEvent event) {
        String what = event.what();
        return what.startsWith("SIGKILL broker") ? "broker SIGKILL" : what.startsWith("SIGKILL") ? "instance SIGKILL"
                : what.startsWith("SIGTERM") ? "graceful restart" : "other";
    }

    private void readAll(String topic, int partitions, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000, ConsumerConfig.CLIENT_ID_CONFIG, "chaos-verifier");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Map<TopicPartition, Long> end = consumer.endOffsets(all, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (all.stream().anyMatch((tp) -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end " + end + " in 10 minutes");
                }
                consumer.poll(Duration.ofMillis(500)).forEach(sink);
            }
        }
    }

    private static int keyId(byte[] key) {
        return Integer.parseInt(new String(key, 1, key.length - 1, StandardCharsets.US_ASCII));
    }

    private static long numberAfter(String text, String label) {
        int from = text.indexOf(label) + label.length();
        int to = from;
        while (to < text.length() && Character.isDigit(text.charAt(to))) {
            to++;
        }
        return Long.parseLong(text.substring(from, to));
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : null;
    }

    private static void example(List<String> examples, String example) {
        if (examples.size() < 5) {
            examples.add(example);
        }
    }

    /** What is known of one input partition's records, indexed by offset (the input has no transactions, so offsets are dense). */
    private static final class Input {

        final int[] key;

        final int[] seq;

        final int[] processings;

        final long[] firstAt;

        final long[] lastAt;

        final int[] deadLettered;

        final int[] counted;

        Input(int size) {
            this.key = new int[size];
            this.seq = new int[size];
            this.processings = new int[size];
            this.firstAt = new long[size];
            this.lastAt = new long[size];
            this.deadLettered = new int[size];
            this.counted = new int[size];
        }

        int size() {
            return this.key.length;
        }

        void processed(int offset, long at) {
            if (this.processings[offset]++ == 0) {
                this.firstAt[offset] = at;
            }
            this.firstAt[offset] = Math.min(this.firstAt[offset], at);
            this.lastAt[offset] = Math.max(this.lastAt[offset], at);
        }

    }

}
