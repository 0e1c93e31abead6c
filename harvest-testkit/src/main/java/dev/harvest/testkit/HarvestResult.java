package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one harvest job did, as a {@link HarvestTestBed} reports it: its status, its counts, its errors and its
 * objects, in the testkit's own types so that a plugin's tests need no engine class.
 *
 * <pre>{@code
 * HarvestResult result = testBed.harvest(source);
 * result.assertFinishedWithoutErrors();
 * result.assertCounts(3, 0, 0, 0, 0);
 * assertEquals("Maps", testBed.dataset(result.object("rec-1").orElseThrow().packageId()).orElseThrow().title());
 * }</pre>
 *
 * <p>Immutable: a snapshot taken when the job ended.
 */
public final class HarvestResult {

    /** How many object errors a failure message lists before it says "and N more". */
    private static final int ERRORS_IN_MESSAGE = 20;

    private final String jobId;
    private final String sourceName;
    private final String status;
    private final Map<String, Long> counts;
    private final List<String> gatherErrors;
    private final List<HarvestedObject> objects;

    /**
     * A result; the {@link HarvestTestBed} builds it from the engine's job report.
     *
     * @param jobId the job's id
     * @param sourceName the name of the job's source, for messages
     * @param status the job's status: {@code Finished}, {@code Aborted}, {@code Running} or {@code New}
     * @param counts objects per report status ({@code added}, {@code updated}, {@code deleted},
     *     {@code not modified}, {@code errored})
     * @param gatherErrors the job's gather errors, oldest first
     * @param objects the job's objects, in gather order
     */
    public HarvestResult(String jobId, String sourceName, String status, Map<String, Long> counts,
            List<String> gatherErrors, List<HarvestedObject> objects) {
        this.jobId = jobId;
        this.sourceName = sourceName;
        this.status = status;
        this.counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
        this.gatherErrors = List.copyOf(gatherErrors);
        this.objects = List.copyOf(objects);
    }

    /** @return the job's id */
    public String jobId() {
        return jobId;
    }

    /**
     * The job's status. A whole harvest run by the test bed always ends {@code Finished} or {@code Aborted}; a job
     * left {@code Running} is an engine bug.
     *
     * @return {@code Finished}, {@code Aborted}, {@code Running} or {@code New}
     */
    public String status() {
        return status;
    }

    /** @return whether the job ended {@code Finished} (errors or not) */
    public boolean finished() {
        return "Finished".equals(status);
    }

    /** @return how many objects created a dataset (report status {@code added}) */
    public long added() {
        return count("added");
    }

    /** @return how many objects updated a dataset (report status {@code updated}) */
    public long updated() {
        return count("updated");
    }

    /** @return how many objects deleted a dataset (report status {@code deleted}) */
    public long deleted() {
        return count("deleted");
    }

    /** @return how many objects left their dataset as it was (report status {@code not modified}) */
    public long notModified() {
        return count("not modified");
    }

    /**
     * The error count of ckanext-harvest's job statistics: objects with at least one error, plus gather errors.
     *
     * @return the error count
     */
    public long errored() {
        return count("errored");
    }

    /** @return the job's gather errors (the job-level ones: the listing failed, a page was unreadable), oldest first */
    public List<String> gatherErrors() {
        return gatherErrors;
    }

    /** @return the error messages of every object that had any, by guid, in gather order */
    public Map<String, List<String>> objectErrorsByGuid() {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (HarvestedObject object : objects) {
            if (object.hasErrors()) {
                errors.computeIfAbsent(object.guid(), guid -> new java.util.ArrayList<>()).addAll(object.errors());
            }
        }
        errors.replaceAll((guid, messages) -> List.copyOf(messages));
        return Collections.unmodifiableMap(errors);
    }

    /**
     * The job's objects, in gather order. The engine's report lists at most the first 1,000; the counts always cover
     * them all.
     *
     * @return the objects
     */
    public List<HarvestedObject> objects() {
        return objects;
    }

    /**
     * @param guid a record's guid
     * @return the job's object for that guid, or empty if the gather did not emit it
     */
    public Optional<HarvestedObject> object(String guid) {
        return objects.stream().filter(object -> object.guid().equals(guid)).findFirst();
    }

    /** @return whether the job recorded any gather error or object error */
    public boolean hasErrors() {
        return !gatherErrors.isEmpty() || objects.stream().anyMatch(HarvestedObject::hasErrors) || errored() > 0;
    }

    /**
     * Asserts that the job ended {@code Finished} with no gather error and no object error. The failure message
     * lists the errors, so a failing plugin test says why without a debugger.
     *
     * @return this result, for more assertions
     * @throws AssertionError if the job did not finish or recorded an error
     */
    public HarvestResult assertFinishedWithoutErrors() {
        if (!finished() || hasErrors()) {
            fail("Expected job " + jobId + " of source " + sourceName + " to finish without errors, but it "
                    + describe());
        }
        return this;
    }

    /**
     * Asserts the job's counts all at once, so that a failure shows every count and every error together.
     *
     * @param expectedAdded objects that created a dataset
     * @param expectedUpdated objects that updated one
     * @param expectedDeleted objects that deleted one
     * @param expectedNotModified objects that left theirs unchanged
     * @param expectedErrored objects with errors plus gather errors (see {@link #errored()})
     * @return this result, for more assertions
     * @throws AssertionError if any count differs
     */
    public HarvestResult assertCounts(long expectedAdded, long expectedUpdated, long expectedDeleted,
            long expectedNotModified, long expectedErrored) {
        String expected = counts(expectedAdded, expectedUpdated, expectedDeleted, expectedNotModified,
                expectedErrored);
        String actual = counts(added(), updated(), deleted(), notModified(), errored());
        assertEquals(expected, actual, () -> "Counts of job " + jobId + " of source " + sourceName + "; the job "
                + describe());
        return this;
    }

    /**
     * A readable account of the job: its status, counts and errors, as the failure messages show it.
     *
     * @return e.g. {@code ended Finished with added=2 updated=0 deleted=0 not modified=0 errored=1; object errors:
     *     rec-3: Could not parse ...}
     */
    public String describe() {
        StringBuilder text = new StringBuilder("ended ").append(status).append(" with ")
                .append(counts(added(), updated(), deleted(), notModified(), errored()));
        if (!gatherErrors.isEmpty()) {
            text.append("; gather errors:");
            gatherErrors.forEach(error -> text.append("\n  ").append(error));
        }
        Map<String, List<String>> objectErrors = objectErrorsByGuid();
        if (!objectErrors.isEmpty()) {
            text.append("; object errors:");
            objectErrors.entrySet().stream().limit(ERRORS_IN_MESSAGE)
                    .forEach(entry -> text.append("\n  ").append(entry.getKey()).append(": ")
                            .append(String.join(" | ", entry.getValue())));
            if (objectErrors.size() > ERRORS_IN_MESSAGE) {
                text.append("\n  ... and ").append(objectErrors.size() - ERRORS_IN_MESSAGE).append(" more objects");
            }
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return "HarvestResult[job " + jobId + " of " + sourceName + " " + describe() + "]";
    }

    private long count(String reportStatus) {
        return counts.getOrDefault(reportStatus, 0L);
    }

    private static String counts(long added, long updated, long deleted, long notModified, long errored) {
        return "added=" + added + " updated=" + updated + " deleted=" + deleted + " not modified=" + notModified
                + " errored=" + errored;
    }
}
