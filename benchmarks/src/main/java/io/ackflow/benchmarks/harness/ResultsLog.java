package io.ackflow.benchmarks.harness;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

/**
 * The results file: JSON lines in {@code <dir>/<start time>-<mode>.jsonl}. The first line
 * ({@code "type":"run"}) holds the command, the plan and the machine; then one line per arm per
 * round with the raw figures ({@code "round"}), one per table row ({@code "summary"}) and one
 * per in-flight memory measurement ({@code "inflight"}). Every line repeats the run's start time,
 * JDK, cores and CPU so that lines from many files can be filtered together.
 */
final class ResultsLog {

    private static final JsonMapper json = JsonMapper.builder().build();

    private final Path file;

    private final Map<String, Object> common = new LinkedHashMap<>();

    ResultsLog(Path dir, String mode) throws IOException {
        Files.createDirectories(dir);
        String started = Instant.now().toString();
        this.file = dir.resolve(started.replace(':', '-') + "-" + mode + ".jsonl");
        Map<String, Object> machine = Machine.describe();
        this.common.put("run", started);
        this.common.put("jdk", machine.get("jdk"));
        this.common.put("cores", machine.get("cores"));
        this.common.put("cpu", machine.get("cpu"));
    }

    Path file() {
        return this.file;
    }

    void header(String command, Plan plan) throws IOException {
        Map<String, Object> line = line("run");
        line.put("command", command);
        line.put("plan", plan);
        line.put("machine", Machine.describe());
        write(line);
    }

    void round(Workload workload, int keys, RunResult run, double ratioToPlain, double limit) throws IOException {
        Map<String, Object> line = line("round");
        line.put("workload", workload.label);
        line.put("keys", keys);
        line.put("arm", run.variant().arm());
        line.put("ordering", run.variant().ordering());
        line.put("concurrency", run.variant().concurrency());
        line.put("round", run.round());
        line.put("position", run.position());
        line.put("records_per_s", run.recordsPerSecond());
        line.put("ratio_to_plain", ratioToPlain);
        line.put("ratio_to_limit", (limit > 0) ? run.recordsPerSecond() / limit : null);
        line.put("poll_cpu_ns_per_record", run.pollNanosPerRecord());
        line.put("process_cpu_ns_per_record", run.processNanosPerRecord());
        line.put("broker_cpu_ns_per_record", (run.brokerNanosPerRecord() >= 0) ? run.brokerNanosPerRecord() : null);
        line.put("raw", run);
        write(line);
    }

    void summary(Summary row) throws IOException {
        Map<String, Object> line = line("summary");
        line.put("workload", row.workload().label);
        line.put("keys", row.keys());
        line.put("arm", row.variant().arm());
        line.put("ordering", row.variant().ordering());
        line.put("concurrency", row.variant().concurrency());
        line.put("rounds", row.runs().size());
        line.put("records_per_s_median", row.rate());
        line.put("records_per_s_min", row.minRate());
        line.put("records_per_s_max", row.maxRate());
        line.put("ratio_to_plain_median", row.ratio());
        line.put("ratio_to_plain_min", row.minRatio());
        line.put("ratio_to_plain_max", row.maxRatio());
        line.put("limit_records_per_s", (row.limit() > 0) ? row.limit() : null);
        line.put("poll_cpu_ns_per_record_median", row.pollNanos());
        line.put("ceiling_records_per_s", (row.ceiling() > 0) ? row.ceiling() : null);
        line.put("process_cpu_ns_per_record_median", row.processNanos());
        line.put("broker_cpu_ns_per_record_median", (row.brokerNanos() >= 0) ? row.brokerNanos() : null);
        line.put("peak_heap_mb_max", row.peakHeapMb());
        line.put("live_heap_mb_max", row.liveHeapMb());
        line.put("p99_ms_median", row.p99Millis());
        line.put("stop_s_max", row.maxStopSeconds());
        line.put("notes", row.notes());
        write(line);
    }

    void inFlight(InFlightMemory.Result result) throws IOException {
        Map<String, Object> line = line("inflight");
        line.put("arm", "ackflow");
        line.put("ordering", result.ordering());
        line.put("keys", result.keys());
        line.put("concurrency", result.concurrency());
        line.put("low", result.low());
        line.put("high", result.high());
        line.put("bytes_per_in_flight_record", Double.isNaN(result.bytesPerRecord()) ? null : result.bytesPerRecord());
        write(line);
    }

    private Map<String, Object> line(String type) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("type", type);
        line.putAll(this.common);
        line.put("time", Instant.now().toString());
        return line;
    }

    private void write(Map<String, Object> line) throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(this.file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            out.println(json.writeValueAsString(line));
        }
    }

}
