package io.ackflow.benchmarks.harness;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.utils.AppInfoParser;

/** Where the figures were measured: JDK, cores, CPU model, memory, Kafka client. */
final class Machine {

    private Machine() {
    }

    static Map<String, Object> describe() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("jdk", System.getProperty("java.version"));
        machine.put("jdk_vendor", System.getProperty("java.vendor"));
        machine.put("vm", System.getProperty("java.vm.name"));
        machine.put("vm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("cpu", cpuModel());
        machine.put("memory_gib", Math.round(totalMemoryBytes() / 1073741824.0));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("kafka_clients", AppInfoParser.getVersion());
        return machine;
    }

    static String summary() {
        Map<String, Object> machine = describe();
        return machine.get("cores") + " cores (" + machine.get("cpu") + "), " + machine.get("memory_gib") + " GiB, JDK "
                + machine.get("jdk") + " (" + machine.get("vm") + "), kafka-clients " + machine.get("kafka_clients");
    }

    /** The model name from /proc/cpuinfo; "unknown" elsewhere. */
    static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (IOException ex) {
            // not Linux: leave it unknown
        }
        return "unknown";
    }

    private static long totalMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

}
