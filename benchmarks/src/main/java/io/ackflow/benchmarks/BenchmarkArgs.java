package io.ackflow.benchmarks;

import java.util.HashMap;
import java.util.Map;

/** The {@code name=value} arguments of a benchmark's {@code main}. */
public final class BenchmarkArgs {

    private BenchmarkArgs() {
    }

    /**
     * @throws IllegalArgumentException naming an argument that is not {@code name=value}
     */
    public static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (String arg : argv) {
            String[] pair = arg.split("=", 2);
            if (pair.length != 2) {
                throw new IllegalArgumentException("Arguments are name=value, was '" + arg + "'");
            }
            args.put(pair[0], pair[1]);
        }
        return args;
    }

}
