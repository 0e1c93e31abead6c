package dev.harvest.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's results: a table of figures with their targets, and a JSON document with the machine, the settings
 * and every figure of every scenario.
 */
final class Report {

    /** One line of the table. {@code met} is null when the figure has no target. */
    record Row(String scenario, String measured, String target, Boolean met) {}

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final ObjectNode json = MAPPER.createObjectNode();
    private final List<Row> rows = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    ObjectNode scenario(String key) {
        return json.withObject("/scenarios").putObject(key);
    }

    void row(String scenario, String measured, String target, Boolean met) {
        rows.add(new Row(scenario, measured, target == null ? "" : target, met));
    }

    void failure(String scenario, String message) {
        failures.add(scenario + ": " + message);
        rows.add(new Row(scenario, "FAILED: " + firstLine(message), "", null));
        json.withArray("/failures").addObject().put("scenario", scenario).put("message", message);
    }

    void note(String note) {
        notes.add(note);
        json.withArray("/notes").add(note);
    }

    boolean failed() {
        return !failures.isEmpty();
    }

    List<String> failures() {
        return failures;
    }

    List<String> notes() {
        return notes;
    }

    /** @return the table, as Markdown with aligned columns */
    String table() {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"scenario", "measured", "target", "met"});
        for (Row row : rows) {
            lines.add(new String[] {row.scenario(), row.measured(), row.target(),
                row.met() == null ? "" : row.met() ? "met" : "MISSED"});
        }
        int[] widths = new int[4];
        for (String[] line : lines) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder table = new StringBuilder();
        for (int l = 0; l < lines.size(); l++) {
            String[] line = lines.get(l);
            table.append('|');
            for (int i = 0; i < 4; i++) {
                table.append(' ').append(pad(line[i], widths[i])).append(" |");
            }
            table.append('\n');
            if (l == 0) {
                table.append('|');
                for (int i = 0; i < 4; i++) {
                    table.append('-').append("-".repeat(widths[i])).append("-|");
                }
                table.append('\n');
            }
        }
        return table.toString();
    }

    void write(Path file) throws IOException {
        var array = json.putArray("table");
        for (Row row : rows) {
            ObjectNode line = array.addObject();
            line.put("scenario", row.scenario());
            line.put("measured", row.measured());
            line.put("target", row.target());
            if (row.met() == null) {
                line.putNull("met");
            } else {
                line.put("met", row.met());
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        MAPPER.writeValue(file.toFile(), json);
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(width - text.length());
    }

    private static String firstLine(String message) {
        String line = message == null ? "" : message.lines().findFirst().orElse("");
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "n/a";
        }
        if (value >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (value >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    static String seconds(double value) {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.1f s", value);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,d MiB", bytes >> 20);
    }
}
