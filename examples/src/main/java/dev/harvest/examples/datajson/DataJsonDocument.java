package dev.harvest.examples.datajson;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a data.json document as a stream, one dataset object at a time, so that a catalog of any size needs only
 * the memory of its largest dataset.
 *
 * <p>Accepts DCAT-US 1.1 (a top-level object whose {@code dataset} member is an array) and DCAT-US 1.0 (a bare
 * top-level array of datasets). The document must be complete: a truncated or malformed document ends the read with
 * a message, after the datasets before the break have been handed over.
 */
final class DataJsonDocument {

    /** Receives what the document holds, in document order. */
    interface Listener {

        /**
         * One element of the dataset array that is a JSON object.
         *
         * @param position its 1-based position in the array
         * @param dataset the dataset, which the listener may keep or change
         */
        void dataset(int position, ObjectNode dataset);

        /**
         * One element of the dataset array that is not a JSON object.
         *
         * @param position its 1-based position in the array
         * @param description what it is instead
         */
        void notADataset(int position, String description);
    }

    /**
     * How a read ended.
     *
     * @param complete whether the whole document was read and was a data.json catalog
     * @param entries the number of elements of the dataset array that were read
     * @param problem why the read did not complete, naming the URL; {@code null} when complete
     */
    record Result(boolean complete, int entries, String problem) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private DataJsonDocument() {}

    /**
     * Reads a document.
     *
     * @param body the document's bytes; not closed
     * @param url where it came from, for messages
     * @param listener receives the datasets
     * @return how the read ended
     * @throws IOException if reading the bytes fails (not if they are not JSON)
     */
    static Result read(InputStream body, String url, Listener listener) throws IOException {
        BufferedInputStream input = new BufferedInputStream(body);
        if (startsLikeMarkup(input)) {
            return broken(0, url + " returned an HTML or XML page, not a data.json document");
        }
        int[] entries = {0};
        boolean started = false;
        try (JsonParser parser = JSON.createParser(input)) {
            JsonToken first = parser.nextToken();
            started = true;
            if (first == null) {
                return broken(0, url + " returned an empty document, not a data.json catalog");
            }
            if (first == JsonToken.START_ARRAY) {
                readDatasets(parser, listener, entries);
            } else if (first == JsonToken.START_OBJECT) {
                boolean sawDatasets = false;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (field.equals("dataset") && value == JsonToken.START_ARRAY) {
                        readDatasets(parser, listener, entries);
                        sawDatasets = true;
                    } else if (field.equals("dataset")) {
                        return broken(0, url + " is not a data.json catalog: its \"dataset\" member is "
                                + DataJsonConfig.describe(parser.readValueAsTree()) + ", not an array");
                    } else {
                        parser.skipChildren();
                    }
                }
                if (!sawDatasets) {
                    return broken(0, url + " is not a data.json catalog: its top-level object has no \"dataset\""
                            + " array");
                }
            } else {
                return broken(0, url + " is not a data.json catalog: the document is "
                        + DataJsonConfig.describe(parser.readValueAsTree())
                        + ", not an object with a \"dataset\" array or an array of datasets");
            }
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                return broken(entries[0], url + " has content after the end of the catalog, at "
                        + parser.currentLocation().offsetDescription());
            }
            return new Result(true, entries[0], null);
        } catch (JsonProcessingException e) {
            if (!started) {
                return broken(0, url + " is not a JSON document: " + problem(e));
            }
            String where = entries[0] == 0 ? "before the first dataset" : "after dataset #" + entries[0];
            return broken(entries[0], url + " is truncated or malformed " + where + ": " + problem(e));
        }
    }

    /**
     * What is wrong and where, but never what was read: Jackson's messages quote the offending text, and a response
     * (say, a page a redirect led to) may hold anything, which would end up in job reports.
     */
    private static String problem(JsonProcessingException e) {
        String what = e instanceof JsonEOFException ? "the document ends early" : "invalid JSON";
        JsonLocation location = e.getLocation();
        return location == null || location.getLineNr() < 0 ? what
                : what + " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static void readDatasets(JsonParser parser, Listener listener, int[] entries) throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token == null) {
                throw new JsonEOFException(parser, null,
                        "Unexpected end of the document inside the dataset array");
            }
            int position = entries[0] + 1;
            // Read the whole entry before counting it, so that a break inside it is reported after the one before.
            JsonNode entry = parser.readValueAsTree();
            entries[0] = position;
            if (entry instanceof ObjectNode dataset) {
                listener.dataset(position, dataset);
            } else {
                listener.notADataset(position, DataJsonConfig.describe(entry));
            }
        }
    }

    /** HTML error pages and XML documents start with '<' after optional whitespace and byte-order mark. */
    private static boolean startsLikeMarkup(BufferedInputStream input) throws IOException {
        input.mark(4096);
        try {
            for (int i = 0; i < 4096; i++) {
                int b = input.read();
                if (b == -1) {
                    return false;
                }
                if (b == '<') {
                    return true;
                }
                boolean whitespace = b == ' ' || b == '\t' || b == '\r' || b == '\n';
                boolean byteOrderMark = b == 0xEF || b == 0xBB || b == 0xBF;
                if (!whitespace && !byteOrderMark) {
                    return false;
                }
            }
            return false;
        } finally {
            input.reset();
        }
    }

    private static Result broken(int entries, String problem) {
        return new Result(false, entries, problem);
    }
}
