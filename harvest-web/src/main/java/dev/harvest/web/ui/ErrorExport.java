package dev.harvest.web.ui;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.harvest.core.Harvest;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Every error of a job as CSV or JSON, streamed from the database cursor of
 * {@link dev.harvest.core.store.HarvestQueries#forEachError}: bounded memory whatever the job's size. The columns
 * are those of {@code harvester report --format csv --all}.
 */
final class ErrorExport {

    private static final String[] COLUMNS = {"stage", "object_id", "guid", "package_id", "line", "created", "message"};

    private ErrorExport() {}

    static void write(Harvest harvest, String jobId, boolean csv, Context ctx) throws IOException {
        ctx.contentType(csv ? "text/csv;charset=utf-8" : "application/json;charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"job-" + jobId + "-errors." + (csv ? "csv" : "json")
                + "\"");
        OutputStream out = ctx.outputStream();
        if (csv) {
            Writer writer = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
            writer.write(String.join(",", COLUMNS) + "\r\n");
            harvest.queries().forEachError(jobId, error -> {
                try {
                    writer.write(String.join(",", cell(error.stage()), cell(error.objectId()), cell(error.guid()),
                            cell(error.packageId()), cell(error.line() == null ? null : error.line().toString()),
                            cell(error.created() == null ? null : error.created().toString()), cell(error.message()))
                            + "\r\n");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            writer.flush();
            return;
        }
        try (JsonGenerator json = HarvestPages.JSON.getFactory().createGenerator(out)) {
            json.writeStartArray();
            harvest.queries().forEachError(jobId, error -> {
                try {
                    json.writeStartObject();
                    json.writeStringField("stage", error.stage());
                    json.writeStringField("object_id", error.objectId());
                    json.writeStringField("guid", error.guid());
                    json.writeStringField("package_id", error.packageId());
                    if (error.line() == null) {
                        json.writeNullField("line");
                    } else {
                        json.writeNumberField("line", error.line());
                    }
                    json.writeStringField("created", error.created() == null ? null : error.created().toString());
                    json.writeStringField("message", error.message());
                    json.writeEndObject();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            json.writeEndArray();
        }
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break; a leading formula character is defused. */
    static String cell(String value) {
        if (value == null) {
            return "";
        }
        String text = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        if (text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r")) {
            return "\"" + text.replace("\"", "\"\"") + "\"";
        }
        return text;
    }
}
