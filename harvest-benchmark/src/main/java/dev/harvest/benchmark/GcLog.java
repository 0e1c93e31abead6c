package dev.harvest.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a unified GC log ({@code -Xlog:gc:file=...}): each collection line ends with
 * {@code <before>-><after>(<committed>)}, e.g. {@code Pause Young (Normal) (G1 Evacuation Pause) 25M->5M(256M) 3.4ms}.
 * The largest "before" is the peak heap use (heap only fills up to a collection); the largest "after" is the largest
 * live set the process kept.
 */
record GcLog(int collections, long peakUsedBytes, long peakLiveBytes, long peakCommittedBytes) {

    private static final Pattern SIZES = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    static GcLog parse(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new GcLog(0, 0, 0, 0);
        }
        int collections = 0;
        long used = 0;
        long live = 0;
        long committed = 0;
        for (String line : Files.readAllLines(file)) {
            Matcher sizes = SIZES.matcher(line);
            if (!sizes.find()) {
                continue;
            }
            collections++;
            used = Math.max(used, bytes(sizes.group(1), sizes.group(2)));
            live = Math.max(live, bytes(sizes.group(3), sizes.group(4)));
            committed = Math.max(committed, bytes(sizes.group(5), sizes.group(6)));
        }
        return new GcLog(collections, used, live, committed);
    }

    private static long bytes(String number, String unit) {
        long value = Long.parseLong(number);
        return switch (unit) {
            case "K" -> value << 10;
            case "M" -> value << 20;
            default -> value << 30;
        };
    }
}
