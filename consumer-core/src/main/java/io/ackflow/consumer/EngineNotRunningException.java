package io.ackflow.consumer;

/**
 * A request (pause, resume, seek, commit now) reached an engine that is not running: it was never
 * started, it stopped, or it failed. Only a running engine has a poll thread to carry it out.
 */
public class EngineNotRunningException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String engine;

    /**
     * @param engine the engine's name
     * @param state what it is instead of running, for example {@code "STOPPED"}
     */
    public EngineNotRunningException(String engine, String state) {
        super("Engine '" + engine + "' is not running (" + state + "); pause, resume, seek and commit need a running"
                + " engine: start it, or ask one that runs");
        this.engine = engine;
    }

    /** The engine's name. */
    public String engine() {
        return this.engine;
    }

}
