package dev.harvest.core.store;

import java.net.URI;
import java.net.URISyntaxException;

/** ckanext-harvest's URL normalisation for the "one source per URL and config" rule (spec §2.4). */
public final class SourceUrls {

    private SourceUrls() {}

    /**
     * Drops a default port, the trailing {@code /} of the path, and any params, query and fragment.
     *
     * @param url a source URL
     * @return {@code scheme://host[:port]/path}
     */
    public static String normalise(String url) {
        try {
            URI uri = new URI(url.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
            int port = uri.getPort();
            boolean defaultPort = (port == 80 && scheme.equals("http")) || (port == 443 && scheme.equals("https"));
            String host = uri.getHost() == null ? (uri.getRawAuthority() == null ? "" : uri.getRawAuthority())
                    : uri.getHost();
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            return scheme + "://" + host + (port > 0 && !defaultPort ? ":" + port : "") + path;
        } catch (URISyntaxException e) {
            return url.strip();
        }
    }
}
