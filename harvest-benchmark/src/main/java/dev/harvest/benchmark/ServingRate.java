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
 * id, reading every byte and counting the datasets with a streaming parser (no tree, no copy). The harvest can never
 * go faster than this, so it must be far above the harvest's figures.
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
                try (CountingStream in = new CountingStream(connection.getInputStream());
                        JsonParser parser = JSON.createParser(in)) {
                    countResults(parser, page);
                    bytes += in.count;
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

    /** Counts the objects of {@code result.results} and reads {@code result.count}. */
    private static void countResults(JsonParser parser, long[] page) throws IOException {
        int depth = 0;
        boolean inResults = false;
        JsonToken token;
        while ((token = parser.nextToken()) != null) {
            if (token == JsonToken.FIELD_NAME && depth == 2) {
                String field = parser.currentName();
                if (field.equals("count")) {
                    parser.nextToken();
                    page[1] = parser.getLongValue();
                } else if (field.equals("results")) {
                    inResults = true;
                }
                continue;
            }
            if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                if (inResults && depth == 3 && token == JsonToken.START_OBJECT) {
                    page[0]++;
                    parser.skipChildren();
                    continue;
                }
                depth++;
            } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                depth--;
                if (inResults && depth == 2) {
                    inResults = false;
                }
            }
        }
    }

    private static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
