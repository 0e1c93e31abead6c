package dev.harvest.ckan;

/**
 * A response body was larger than the transport's size cap. The request itself worked, so a caller that can ask
 * for less (a {@code package_search} page with fewer rows) may try again.
 */
public final class ResponseTooLargeException extends CkanRemoteException {

    private static final long serialVersionUID = 1L;

    private final long limit;

    /**
     * @param message the full message, naming the URL and the limit
     * @param url the requested URL
     * @param limit the size cap in bytes
     */
    public ResponseTooLargeException(String message, String url, long limit) {
        super(message, url, NO_RESPONSE, null, null);
        this.limit = limit;
    }

    /** @return the size cap that was exceeded, in bytes */
    public long limit() {
        return limit;
    }
}
