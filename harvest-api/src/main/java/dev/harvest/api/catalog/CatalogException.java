package dev.harvest.api.catalog;

/** A catalog operation failed; the message says which dataset or group and why. */
public class CatalogException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, in one line that names the catalog problem
     */
    public CatalogException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, in one line
     * @param cause the underlying failure
     */
    public CatalogException(String message, Throwable cause) {
        super(message, cause);
    }
}
