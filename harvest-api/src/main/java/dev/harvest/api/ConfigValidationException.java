package dev.harvest.api;

/** A source configuration that a harvester refuses; the message names what is wrong. */
public class ConfigValidationException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, in one line that names the source configuration problem
     */
    public ConfigValidationException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, in one line
     * @param cause the underlying failure
     */
    public ConfigValidationException(String message, Throwable cause) {
        super(message, cause);
    }
}
