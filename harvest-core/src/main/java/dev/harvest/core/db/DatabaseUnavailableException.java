package dev.harvest.core.db;

/** The harvest database cannot be reached or migrated; the message says where and why. */
public class DatabaseUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
