package io.ackflow.consumer.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One OS process running a JVM on this JVM's class path, its output appended to a log file. The
 * harness's thread that owns a {@code ChildJvm} is the only one that starts and stops it; {@link #destroyNow}
 * is safe from a shutdown hook.
 */
public final class ChildJvm {

    private final String name;

    private final List<String> command;

    private final Path log;

    private volatile Process process;

    private int starts;

    public ChildJvm(String name, String heap, String mainClass, List<String> args, Path log) {
        this.name = name;
        this.log = log;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(classPath());
        command.add(mainClass);
        command.addAll(args);
        this.command = List.copyOf(command);
    }

    /**
     * This JVM's class path. Surefire and Failsafe may start the test JVM from a manifest-only jar;
     * they then hand the real class path in {@code surefire.test.class.path}.
     */
    public static String classPath() {
        String tests = System.getProperty("surefire.test.class.path");
        return (tests != null && !tests.isBlank()) ? tests : System.getProperty("java.class.path");
    }

    public String name() {
        return this.name;
    }

    public Path log() {
        return this.log;
    }

    /** Times it was started. */
    public int starts() {
        return this.starts;
    }

    public void start() throws IOException {
        if (isAlive()) {
            throw new IllegalStateException(this.name + " is already running");
        }
        this.starts++;
        File logFile = this.log.toFile();
        this.process = new ProcessBuilder(this.command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile))
            .start();
    }

    public boolean isAlive() {
        Process p = this.process;
        return p != null && p.isAlive();
    }

    public long pid() {
        Process p = this.process;
        return (p != null) ? p.pid() : -1;
    }

    /** SIGKILL, then wait for the process to be gone. */
    public void kill() throws InterruptedException {
        Process p = this.process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * SIGTERM, then wait up to {@code timeoutSeconds} for the JVM's shutdown hooks to finish; a
     * process still alive then is killed.
     * @return whether it exited by itself within the timeout
     */
    public boolean stop(long timeoutSeconds) throws InterruptedException {
        Process p = this.process;
        if (p == null || !p.isAlive()) {
            return true;
        }
        p.destroy();
        if (p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            return true;
        }
        kill();
        return false;
    }

    /** Exit code of the last run, or null while it runs or before it ran. */
    public Integer exitCode() {
        Process p = this.process;
        return (p != null && !p.isAlive()) ? p.exitValue() : null;
    }

    /** For shutdown hooks and failures: SIGKILL without asking questions. */
    public void destroyNow() {
        Process p = this.process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return this.name + " (pid " + pid() + ")";
    }

}
