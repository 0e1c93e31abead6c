package dev.harvest.ckan;

/**
 * A request to a remote CKAN failed: the network, the HTTP status, the body, or CKAN itself (an error envelope).
 *
 * <p>Messages follow ckanext-harvest where its tests fix them ({@code HTTP error: <status> <url>},
 * {@code Request error: <message>}) and always name the URL.
 */
public class CkanRemoteException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Status used when no HTTP response was received. */
    public static final int NO_RESPONSE = -1;

    private final String url;
    private final int httpStatus;
    private final String errorType;

    /**
     * @param message the full message
     * @param url the requested URL
     * @param httpStatus the HTTP status, or {@link #NO_RESPONSE}
     * @param errorType CKAN's {@code error.__type} (e.g. {@code Not Found Error}), or {@code null}
     * @param cause the underlying failure, or {@code null}
     */
    public CkanRemoteException(String message, String url, int httpStatus, String errorType, Throwable cause) {
        super(message, cause);
        this.url = url;
        this.httpStatus = httpStatus;
        this.errorType = errorType;
    }

    /** @return the requested URL */
    public String url() {
        return url;
    }

    /** @return the HTTP status, or {@link #NO_RESPONSE} */
    public int httpStatus() {
        return httpStatus;
    }

    /** @return CKAN's error {@code __type}, or {@code null} when the body was not a CKAN error envelope */
    public String errorType() {
        return errorType;
    }

    /** @return whether the remote answered 404 (CKAN's {@code Not Found Error}) */
    public boolean isNotFound() {
        return httpStatus == 404 || "Not Found Error".equals(errorType);
    }
}
