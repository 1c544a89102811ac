package io.ackflow.benchmarks.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ackflow.consumer.testing.ChildJvm;

/**
 * What the consumer instances' logs say about the run: the stalls they made and whether the
 * engine reported each stalled record as stuck, its stuck-partition warnings in all (a broker
 * outage makes handlers wait on their sends, which is reported too), the records they
 * dead-lettered and their ERROR lines.
 *
 * @param stalls records stalled on purpose ({@code CHAOS ... stalls topic-p@offset ...})
 * @param stallsReported stalled records the engine then reported as stuck at their offset
 * @param longestStallMillis how long the longest stall held its record (a stall lasts until the
 *        engine reports it, at least the stall time)
 * @param stuckWarnings the engine's "is stuck at offset" warnings, whatever held the partition
 * @param deadLetterWarnings "published to its dead-letter topic" warnings
 * @param errorLines lines logged at ERROR
 * @param failedOnPurpose first attempts failed on purpose, from each instance life's last progress line
 *        (a killed instance's last two seconds are missing)
 * @param examples the stall lines with the engine's first report of each, and the first ERROR lines
 */
record LogFacts(int stalls, int stallsReported, long longestStallMillis, int stuckWarnings, int deadLetterWarnings,
        int errorLines, long failedOnPurpose, List<String> examples) {

    private static final Pattern STALL = Pattern.compile("CHAOS \\S+ stalls (\\S+)-(\\d+)@(\\d+) for");

    private static final Pattern RELEASED = Pattern.compile("CHAOS \\S+ released \\S+ after (\\d+) ms");

    private static final Pattern PROGRESS = Pattern.compile("CHAOS \\S+ progress: .* failed on purpose (\\d+)");

    static LogFacts read(List<ChildJvm> instances) throws IOException {
        int stalls = 0;
        int reported = 0;
        int stuck = 0;
        int deadLetters = 0;
        int errors = 0;
        long failedOnPurpose = 0;
        long longestStall = 0;
        List<String> examples = new ArrayList<>();
        for (ChildJvm instance : instances) {
            if (!Files.exists(instance.log())) {
                continue;
            }
            String pendingReport = null;
            long failedInThisLife = 0;
            for (String line : Files.readAllLines(instance.log(), StandardCharsets.UTF_8)) {
                Matcher progress = PROGRESS.matcher(line);
                if (progress.find()) {
                    failedInThisLife = Long.parseLong(progress.group(1));
                    continue;
                }
                if (line.contains("CHAOS " + instance.name() + " started")) {
                    failedOnPurpose += failedInThisLife;
                    failedInThisLife = 0;
                }
                Matcher released = RELEASED.matcher(line);
                if (released.find()) {
                    longestStall = Math.max(longestStall, Long.parseLong(released.group(1)));
                    continue;
                }
                Matcher stall = STALL.matcher(line);
                if (stall.find()) {
                    stalls++;
                    examples.add(instance.name() + ": " + line);
                    pendingReport = "Partition " + stall.group(1) + "-" + stall.group(2) + " is stuck at offset " + stall.group(3) + ":";
                }
                else if (line.contains(" is stuck at offset ")) {
                    stuck++;
                    if (pendingReport != null && line.contains(pendingReport)) {
                        reported++;
                        examples.add(instance.name() + ": " + line);
                        pendingReport = null;
                    }
                }
                else if (line.contains("published to its dead-letter topic")) {
                    deadLetters++;
                }
                if (line.contains(" ERROR ") && errors++ < 5) {
                    examples.add(instance.name() + ": " + line);
                }
            }
            failedOnPurpose += failedInThisLife;
        }
        return new LogFacts(stalls, reported, longestStall, stuck, deadLetters, errors, failedOnPurpose, List.copyOf(examples));
    }

}
