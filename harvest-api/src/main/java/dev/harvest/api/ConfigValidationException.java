package dev.harvest.api;

/** A source configuration that a harvester refuses; the message names what is wrong. */
public class ConfigValidationException extends Exception {

    private static final long serialVersionUID = 1L;

    public ConfigValidationException(String message) {
        super(message);
    }

    public ConfigValidationException(String message, Throwable cause) {
        super(message, cause);
    }
}
