package dev.harvest.core.progress;

/**
 * One reading of a long command's progress, as a progress line shows it:
 * {@code <head> · done <done>/<total> (<percent>) · <rate> · ETA <eta> · errors <errors>}. The rate and the ETA are
 * the {@link ProgressMonitor}'s, from successive samples.
 *
 * @param head what the command is at, e.g. {@code gathered 50,000} or {@code segment 3/16}
 * @param done units finished so far (objects); the rate is the rate of this count
 * @param total the units there are, as {@code totalKind} says
 * @param totalKind how far {@code total} is known
 * @param errors errors so far
 */
public record ProgressSample(String head, long done, long total, Total totalKind, long errors) {

    /** How far a sample's total is known. */
    public enum Total {
        /** Not known: only the count done is shown. */
        UNKNOWN,
        /** Known so far but still growing (a gather in progress): shown, with no percentage or ETA. */
        GROWING,
        /** Estimated (shown as {@code ~N}), with a percentage and an ETA. */
        ESTIMATED,
        /** Known: shown with a percentage and an ETA. */
        EXACT
    }

    /** @return whether the total is good enough for a percentage and an ETA */
    public boolean totalIsFinal() {
        return (totalKind == Total.EXACT || totalKind == Total.ESTIMATED) && total > 0;
    }
}
