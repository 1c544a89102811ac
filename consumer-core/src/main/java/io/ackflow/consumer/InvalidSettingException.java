package io.ackflow.consumer;

/**
 * A setting of the engine or of a subscription has a value it cannot run with. The message
 * names the setting and the value; {@link #setting()} and {@link #subscriptionId()} let a
 * framework map it to its own property or annotation.
 */
public class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    private final transient Object value;

    private final String subscriptionId;

    private final String requirement;

    public InvalidSettingException(String setting, Object value, String requirement) {
        this(null, setting, value, requirement);
    }

    public InvalidSettingException(String subscriptionId, String setting, Object value, String requirement) {
        super(((subscriptionId != null) ? "Subscription '" + subscriptionId + "': " : "") + setting + " " + requirement
                + ", was " + value);
        this.setting = setting;
        this.value = value;
        this.subscriptionId = subscriptionId;
        this.requirement = requirement;
    }

    /** What the value must be, for example {@code must be at least 1}. */
    public String requirement() {
        return this.requirement;
    }

    /** The setting's name as the builders spell it, for example {@code commitInterval}. */
    public String setting() {
        return this.setting;
    }

    public Object value() {
        return this.value;
    }

    /** The subscription the setting belongs to, or null for an engine setting. */
    public String subscriptionId() {
        return this.subscriptionId;
    }

}
