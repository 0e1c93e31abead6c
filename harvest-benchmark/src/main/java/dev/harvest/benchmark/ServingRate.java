package dev.harvest.benchmark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;

/**
 * How fast the synthetic CKAN serves: a plain client pages through {@code package_search} at 1,000 rows, sorted by
 * id, reading every byte but parsing only the start of each page (for {@code count}), so that the figure is the
 * server's. A harvest reads the same pages, so the server's rate must be far above the harvest's figures.
 */
final class ServingRate {

    /** @param datasets datasets read @param bytes response bytes @param seconds wall time */
    record Result(long datasets, long bytes, double seconds) {
        double datasetsPerSecond() {
            return datasets / seconds;
        }

        double megabytesPerSecond() {
            return bytes / 1e6 / seconds;
        }

        double bytesPerDataset() {
            return datasets == 0 ? 0 : (double) bytes / datasets;
        }
    }

    private static final JsonFactory JSON = new JsonFactory();

    private ServingRate() {}

    /**
     * Pages through the portal from the start, as many times as needed to read {@code atLeast} datasets.
     *
     * @param baseUrl a portal's URL
     * @param rows rows per page
     * @param atLeast how many datasets to read in all (a partial last pass stops there)
     * @return what was read and how long it took
     */
    static Result measure(String baseUrl, int rows, long atLeast) throws IOException {
        long start = System.nanoTime();
        long datasets = 0;
        long bytes = 0;
        while (datasets < atLeast) {
            long offset = 0;
            while (datasets < atLeast) {
                URL url = URI.create(baseUrl + "/api/3/action/package_search?sort=id+asc&rows=" + rows + "&start="
                        + offset).toURL();
                HttpURLConnection connection = (HttpURLConnection) url.openConnection();
                connection.setConnectTimeout(10_000);
                connection.setReadTimeout(60_000);
                if (connection.getResponseCode() != 200) {
                    throw new IOException("HTTP " + connection.getResponseCode() + " from " + url);
                }
                long[] page = {0, 0}; // datasets, count
                try (InputStream in = connection.getInputStream()) {
                    bytes += readPage(in, page, offset, rows);
                }
                datasets += page[0];
                offset += page[0];
                if (page[0] == 0 && offset == 0) {
                    throw new IOException("The portal at " + baseUrl + " has no datasets");
                }
                if (page[0] == 0 || offset >= page[1]) {
                    break;
                }
            }
        }
        return new Result(datasets, bytes, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Reads a whole page, parsing only its beginning for {@code result.count} (the server writes it before the
     * results), so that the client costs little beside the server: the page holds {@code min(rows, count - start)}
     * datasets.
     *
     * @return the page's size in bytes
     */
    private static long readPage(InputStream in, long[] page, long offset, int rows) throws IOException {
        byte[] buffer = new byte[1 << 16];
        int head = 0;
        long total = 0;
        boolean counted = false;
        int n;
        while ((n = in.read(buffer, head, buffer.length - head)) > 0) {
            total += n;
            if (!counted) {
                head += n;
                counted = findCount(buffer, head, page);
                if (counted || head == buffer.length) {
                    head = 0;
                    if (!counted) {
                        throw new IOException("No result.count in the first " + buffer.length + " bytes of a page");
                    }
                }
            }
        }
        if (!counted && !findCount(buffer, head, page)) {
            throw new IOException("No result.count in a page");
        }
        page[0] = Math.max(0, Math.min(rows, page[1] - offset));
        return total;
    }

    private static boolean findCount(byte[] buffer, int length, long[] page) throws IOException {
        try (JsonParser parser = JSON.createParser(buffer, 0, length)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.FIELD_NAME && parser.currentName().equals("count")) {
                    parser.nextToken();
                    if (parser.currentLocation().getByteOffset() >= length) {
                        return false; // the number may go on in bytes not read yet
                    }
                    page[1] = parser.getLongValue();
                    return true;
                }
                if (token == JsonToken.FIELD_NAME && parser.currentName().equals("results")) {
                    return false;
                }
            }
        } catch (com.fasterxml.jackson.core.JsonParseException incomplete) {
            return false;
        }
        return false;
    }
}
