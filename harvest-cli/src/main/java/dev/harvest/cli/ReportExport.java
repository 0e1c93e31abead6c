package dev.harvest.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.progress.JobStages;
import dev.harvest.core.store.HarvestQueries.ErrorRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * {@code harvester report JOB --format text|json|csv [--all]}: a job's statistics and every one of its errors, each
 * with its stage, object id, guid, message and the original URL of the remote document
 * ({@link Harvester#originalUrl}). The errors are streamed from a database cursor to the output as they are read, so
 * a report of any size needs bounded memory.
 */
final class ReportExport {

    /** The output formats. */
    enum Format {
        TEXT,
        JSON,
        CSV
    }

    /** The CSV columns, in order. */
    static final String[] CSV_HEADER =
            {"job_id", "stage", "object_id", "guid", "message", "line", "original_url", "created"};

    private final Harvest harvest;
    private final JobReport report;
    private final PrintWriter out;
    private final Optional<Harvester> harvester;
    private final java.time.Duration stalledAfter;
    private JobStages stages;
    private List<String> stalled;

    /**
     * @param harvest the engine
     * @param report the job's report
     * @param out where to write
     * @param stalledAfter how long without progress makes a job stalled
     */
    ReportExport(Harvest harvest, JobReport report, PrintWriter out, java.time.Duration stalledAfter) {
        this.harvest = harvest;
        this.report = report;
        this.out = out;
        this.harvester = harvest.harvesters().find(report.source().type());
        this.stalledAfter = stalledAfter;
    }

    /** Reads the job's objects by stage and why it is stalled (text and JSON show them; CSV does not). */
    private void readStages() {
        String jobId = report.job().id();
        stages = harvest.queries().jobStages(List.of(jobId)).getOrDefault(jobId, JobStages.NONE);
        stalled = harvest.queries().stallHints(List.of(report.job()), stalledAfter).getOrDefault(jobId, List.of());
    }

    void write(Format format) throws IOException {
        if (format != Format.CSV) {
            readStages();
        }
        switch (format) {
            case TEXT -> text();
            case JSON -> json();
            case CSV -> csv();
        }
        out.flush();
    }

    /** The original URL of an errored object, or null; a harvester that fails to tell gives none. */
    private String originalUrl(ErrorRow row) {
        if (row.objectId() == null || harvester.isEmpty()) {
            return null;
        }
        HarvestSource source = report.source();
        HarvestObject object = HarvestObject.builder().id(row.objectId()).guid(row.guid())
                .jobId(report.job().id()).sourceId(source.id()).packageId(row.packageId()).build();
        try {
            return harvester.get().originalUrl(source, object).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void text() {
        HarvestJob job = report.job();
        out.println("Job " + job.id() + " of source " + report.source().name() + ": " + job.status());
        StringBuilder counts = new StringBuilder();
        for (String key : new String[] {"added", "updated", "not modified", "deleted", "errored"}) {
            counts.append(counts.length() == 0 ? "\t" : ", ").append(key).append(": ")
                    .append(report.stats().count(key));
        }
        out.println(counts);
        out.println("\tstages: " + stages);
        stalled.forEach(hint -> out.println("\tstalled: " + hint));
        long errors = harvest.queries().forEachError(job.id(), row -> {
            String url = originalUrl(row);
            out.println("\t" + row.stage() + (row.objectId() == null ? "" : " " + row.guid() + " (object "
                    + row.objectId() + ")") + ": " + row.message().strip().replace("\n", "\n\t\t")
                    + (url == null ? "" : "\n\t\t" + url));
        });
        out.println(errors + " error(s)");
    }

    private void json() throws IOException {
        JsonFactory factory = new JsonFactory();
        try (JsonGenerator json = factory.createGenerator(out)
                .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .useDefaultPrettyPrinter()) {
            HarvestJob job = report.job();
            json.writeStartObject();
            json.writeObjectFieldStart("job");
            json.writeStringField("id", job.id());
            json.writeStringField("source_id", report.source().id());
            json.writeStringField("source_name", report.source().name());
            json.writeStringField("status", job.status());
            writeTime(json, "created", job.created());
            writeTime(json, "gather_started", job.gatherStarted());
            writeTime(json, "gather_finished", job.gatherFinished());
            writeTime(json, "finished", job.finished());
            json.writeEndObject();
            json.writeObjectFieldStart("stats");
            for (Map.Entry<String, Long> count : report.stats().counts().entrySet()) {
                json.writeNumberField(count.getKey(), count.getValue());
            }
            json.writeEndObject();
            json.writeObjectFieldStart("stages");
            json.writeNumberField("waiting", stages.waiting());
            json.writeNumberField("fetching", stages.fetching());
            json.writeNumberField("importing", stages.importing());
            json.writeNumberField("done", stages.done());
            json.writeNumberField("errored", stages.errored());
            json.writeEndObject();
            json.writeArrayFieldStart("stalled");
            for (String hint : stalled) {
                json.writeString(hint);
            }
            json.writeEndArray();
            json.writeArrayFieldStart("errors");
            long[] count = {0};
            try {
                harvest.queries().forEachError(job.id(), row -> {
                    try {
                        json.writeStartObject();
                        json.writeStringField("stage", row.stage());
                        json.writeStringField("object_id", row.objectId());
                        json.writeStringField("guid", row.guid());
                        json.writeStringField("message", row.message());
                        if (row.line() == null) {
                            json.writeNullField("line");
                        } else {
                            json.writeNumberField("line", row.line());
                        }
                        json.writeStringField("original_url", originalUrl(row));
                        json.writeStringField("created", time(row.created()));
                        json.writeEndObject();
                        count[0]++;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            json.writeEndArray();
            json.writeNumberField("error_count", count[0]);
            json.writeEndObject();
        }
        out.println();
    }

    private void csv() throws IOException {
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader(CSV_HEADER).setRecordSeparator('\n').get();
        CSVPrinter printer = new CSVPrinter(out, format);
        String jobId = report.job().id();
        try {
            harvest.queries().forEachError(jobId, row -> {
                try {
                    printer.printRecord(jobId, row.stage(), row.objectId(), row.guid(), row.message(), row.line(),
                            originalUrl(row), time(row.created()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        printer.flush();
    }

    private static void writeTime(JsonGenerator json, String field, Instant time) throws IOException {
        json.writeStringField(field, time == null ? null : time.toString());
    }

    private static String time(LocalDateTime time) {
        return time == null ? null : time.toString() + "Z";
    }
}
