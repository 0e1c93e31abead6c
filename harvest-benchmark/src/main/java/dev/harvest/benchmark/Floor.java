package dev.harvest.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The floor: the least work that copies a remote CKAN's datasets into PostgreSQL. One thread pages
 * {@code package_search} at 1,000 rows sorted by id, parses each page with Jackson, and writes the raw JSON of every
 * dataset into a scratch table ({@code id} primary key, {@code data} text) with one {@code COPY} per page. No
 * engine, no state, no change detection: no harvest can do the same transfer faster by more than its cleverness, so
 * harvest time / floor time says how much the engine costs on top of moving the bytes.
 */
final class Floor {

    static final String TABLE = "bench_floor";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** @param datasets rows written @param pages pages read @param seconds wall time */
    record Result(long datasets, int pages, double seconds) {
        double datasetsPerSecond() {
            return datasets / seconds;
        }
    }

    private Floor() {}

    /**
     * Creates (or empties) the scratch table, then copies every dataset of the portal into it.
     *
     * @param baseUrl the portal's URL
     * @param connection a connection to the schema to write in (autocommit: each COPY commits)
     * @return how many datasets and how long, from the first request to the last commit
     */
    static Result run(String baseUrl, Connection connection) throws IOException, SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("drop table if exists " + TABLE);
            statement.execute("create table " + TABLE + " (id varchar(100) primary key, data text not null)");
        }
        connection.setAutoCommit(true);
        CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
        long start = System.nanoTime();
        long written = 0;
        int pages = 0;
        long offset = 0;
        ByteArrayOutputStream rows = new ByteArrayOutputStream(1 << 22);
        while (true) {
            URL url = URI.create(baseUrl + "/api/3/action/package_search?sort=id+asc&rows=1000&start=" + offset)
                    .toURL();
            HttpURLConnection http = (HttpURLConnection) url.openConnection();
            http.setConnectTimeout(10_000);
            http.setReadTimeout(60_000);
            if (http.getResponseCode() != 200) {
                throw new IOException("HTTP " + http.getResponseCode() + " from " + url);
            }
            JsonNode result;
            try (InputStream in = http.getInputStream()) {
                result = MAPPER.readTree(in).path("result");
            }
            pages++;
            JsonNode results = result.path("results");
            if (results.isEmpty()) {
                break;
            }
            rows.reset();
            for (JsonNode dataset : results) {
                rows.write(dataset.get("id").asText().getBytes(StandardCharsets.UTF_8));
                rows.write('\t');
                writeCopyText(rows, MAPPER.writeValueAsString(dataset));
                rows.write('\n');
            }
            copy.copyIn("COPY " + TABLE + " (id, data) FROM STDIN", new ByteArrayInputStream(rows.toByteArray()));
            written += results.size();
            offset += results.size();
            if (offset >= result.path("count").asLong()) {
                break;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        try (Statement statement = connection.createStatement();
                ResultSet count = statement.executeQuery("select count(*) from " + TABLE)) {
            count.next();
            if (count.getLong(1) != written) {
                throw new IllegalStateException("The floor wrote " + written + " rows but the table has "
                        + count.getLong(1));
            }
        }
        return new Result(written, pages, seconds);
    }

    /** PostgreSQL's COPY text format: backslash, tab, newline and carriage return escaped. */
    private static void writeCopyText(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            switch (b) {
                case '\\' -> {
                    out.write('\\');
                    out.write('\\');
                }
                case '\t' -> {
                    out.write('\\');
                    out.write('t');
                }
                case '\n' -> {
                    out.write('\\');
                    out.write('n');
                }
                case '\r' -> {
                    out.write('\\');
                    out.write('r');
                }
                default -> out.write(b);
            }
        }
    }
}
