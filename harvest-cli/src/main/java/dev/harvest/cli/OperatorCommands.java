package dev.harvest.cli;

import dev.harvest.api.HarvestJob;
import dev.harvest.cli.Commands.HarvestCommand;
import dev.harvest.core.Harvest;
import dev.harvest.core.ImportRequest;
import dev.harvest.core.catalog.EmbeddedCatalog;
import dev.harvest.core.config.HarvestConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The operators' bulk commands: {@code job-all}, {@code abort-failed-jobs}, {@code import}, {@code reindex}. */
final class OperatorCommands {

    private OperatorCommands() {}

    @Command(name = "job-all", aliases = {"job_all"},
            description = "Creates and starts a job for every active source that has no New or Running job.")
    static final class JobAll extends HarvestCommand {
        @Override
        Integer run(Harvest harvest) {
            List<HarvestJob> jobs = harvest.createJobsForAllSources();
            out().println("Created " + jobs.size() + " new harvest jobs");
            for (HarvestJob job : jobs) {
                out().println("\tJob id: " + job.id() + " (source " + job.sourceId() + ")");
            }
            return 0;
        }
    }

    @Command(name = "abort-failed-jobs", aliases = {"abort_failed_jobs"}, description = {
        "Aborts Running jobs older than their source's life span, and errors their unfinished objects.",
        "The life span is 1 day for DAILY sources, 7 for WEEKLY, 14 for BIWEEKLY, 30 for MONTHLY, and LIFE_SPAN days"
            + " (default 7) for MANUAL and ALWAYS ones. Prints 'Done. Aborted jobs: N', or 'There is no jobs to"
            + " abort' when no job is running."})
    static final class AbortFailedJobs extends HarvestCommand {
        @Parameters(arity = "0..1", paramLabel = "LIFE_SPAN",
                description = "days a job of a MANUAL or ALWAYS source may run (default: 7)")
        Integer lifeSpan;

        @Option(names = {"-i", "--include"}, split = ",", paramLabel = "SOURCE",
                description = "only these sources (ids or names, comma separated)")
        List<String> include = new ArrayList<>();

        @Option(names = {"-e", "--exclude"}, split = ",", paramLabel = "SOURCE",
                description = "not these sources (ids or names, comma separated)")
        List<String> exclude = new ArrayList<>();

        @Override
        Integer run(Harvest harvest) {
            Harvest.AbortFailedJobsResult result = harvest.abortFailedJobs(
                    lifeSpan == null ? Harvest.DEFAULT_FAILED_JOB_LIFE_SPAN : lifeSpan, include, exclude);
            out().println(result.message());
            result.abortedJobIds().forEach(id -> out().println("\tAborted job " + id));
            return 0;
        }
    }

    @Command(name = "import", description = {
        "Imports already fetched objects again from their stored content, with force-import; nothing is fetched.",
        "Without criteria, every current object of every source; each criterion given narrows the selection."
            + " Objects of sources with a running job are left out. Exits 1 if any object failed."})
    static final class Import extends HarvestCommand {
        @Parameters(arity = "0..1", paramLabel = "SOURCE", description = "the current objects of this source (id or name)")
        String source;

        @Option(names = {"-j", "--no-join-datasets"},
                description = "also import objects whose dataset is not active in the catalog (e.g. after a first"
                        + " harvest whose imports failed)")
        boolean noJoinDatasets;

        @Option(names = "--job-id", paramLabel = "JOB", description = "the current objects of this job")
        String jobId;

        @Option(names = {"-o", "--harvest-object-id"}, paramLabel = "OBJECT",
                description = "this object, current or not")
        String objectId;

        @Option(names = {"-p", "--package-id"}, paramLabel = "DATASET",
                description = "the current objects of this dataset (id or name)")
        String packageId;

        @Option(names = {"-g", "--guid"}, paramLabel = "GUID", description = "the current objects with this guid")
        String guid;

        @Option(names = "--segments", paramLabel = "HEX",
                description = "only objects whose id's MD5 in hex starts with one of these digits, e.g. 15af")
        String segments;

        @Mixin
        ConsoleProgress.Options progress;

        @Override
        HarvestConfig.DatabaseUse databaseUse(HarvestConfig config) {
            // the import thread and the progress reader
            return new HarvestConfig.DatabaseUse(commandName(), 2, false);
        }

        @Override
        Integer run(Harvest harvest) {
            ConsoleProgress.Mode mode = progress.resolve();
            List<String> passes = passes(mode);
            SegmentProgress counts = new SegmentProgress(passes.size());
            Harvest.ImportSummary summary;
            try (ConsoleProgress shown = ConsoleProgress.start(mode, commandName(), counts::sample, err(),
                    Commands.HarvestCommand.progressInterval(harvest))) {
                summary = importPasses(harvest, passes, counts, shown);
            }
            for (String skipped : summary.skippedSources()) {
                out().println("Skipped source " + skipped + ": it has a running job");
            }
            if (summary.missingDataset() > 0) {
                out().println(summary.missingDataset() + " objects skipped: their dataset is not active in the"
                        + " catalog (-j imports them too)");
            }
            out().println(summary.imported() + " objects reimported");
            if (summary.failed() > 0) {
                err().println("Error: " + summary.failed() + " object(s) could not be imported");
                return 1;
            }
            return 0;
        }

        /**
         * The segments to import one after the other, so that progress can be told: the import itself reports nothing
         * until it ends, and writes nothing a query could count (states and timestamps are left as they were). With
         * progress shown, a selection of many objects is imported one MD5 segment of its object ids at a time (the
         * sixteen hex digits, or the digits of {@code --segments}), which splits it into parts of nearly equal size.
         * Without progress, or for one object, or with {@code --segments} that are not hex digits (the import names
         * them), one pass does everything.
         *
         * @return the {@code --segments} value of each pass; null for a pass over everything
         */
        private List<String> passes(ConsoleProgress.Mode mode) {
            if (mode == ConsoleProgress.Mode.NONE || objectId != null) {
                return java.util.Collections.singletonList(segments);
            }
            String digits = segments == null ? "0123456789abcdef"
                    : segments.strip().toLowerCase(java.util.Locale.ROOT).chars().distinct()
                            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                            .toString();
            if (digits.isEmpty() || !digits.matches("[0-9a-f]+")) {
                return java.util.Collections.singletonList(segments);
            }
            return digits.chars().mapToObj(c -> String.valueOf((char) c)).toList();
        }

        /** Runs the passes and adds up what they did, as one import over the whole selection reports it. */
        private Harvest.ImportSummary importPasses(Harvest harvest, List<String> passes, SegmentProgress counts,
                ConsoleProgress shown) {
            long imported = 0;
            long failed = 0;
            long missing = 0;
            java.util.Set<String> skipped = new java.util.LinkedHashSet<>();
            for (String pass : passes) {
                Harvest.ImportSummary part = harvest.importObjects(
                        new ImportRequest(source, jobId, objectId, packageId, guid, pass, !noJoinDatasets),
                        failure -> {
                            counts.failure();
                            shown.above(() -> {
                                out().println("\tObject " + failure.objectId() + " (" + failure.guid() + "): "
                                        + failure.message().strip().replace("\n", "\n\t\t"));
                                out().flush();
                            });
                        });
                imported += part.imported();
                failed += part.failed();
                missing += part.missingDataset();
                skipped.addAll(part.skippedSources());
                counts.passDone(part.imported() + part.failed());
            }
            return new Harvest.ImportSummary(imported, failed, missing, List.copyOf(skipped));
        }
    }

    /** What a segmented import did so far, for its progress line: objects per finished segment, failures live. */
    static final class SegmentProgress {
        private final int passes;
        private final java.util.concurrent.atomic.AtomicInteger passesDone = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicLong errors = new java.util.concurrent.atomic.AtomicLong();

        SegmentProgress(int passes) {
            this.passes = passes;
        }

        void failure() {
            errors.incrementAndGet();
        }

        void passDone(long objects) {
            done.addAndGet(objects);
            passesDone.incrementAndGet();
        }

        /**
         * @return {@code segments 5/16 · done 12,345/~39,504 (31.2%) · ...}: the total is estimated from the
         *     segments done (MD5 segments are of nearly equal size), exact once all are
         */
        java.util.Optional<dev.harvest.core.progress.ProgressSample> sample() {
            int finished = passesDone.get();
            long objects = done.get();
            dev.harvest.core.progress.ProgressSample.Total kind = finished == 0
                    ? dev.harvest.core.progress.ProgressSample.Total.UNKNOWN
                    : finished == passes ? dev.harvest.core.progress.ProgressSample.Total.EXACT
                    : dev.harvest.core.progress.ProgressSample.Total.ESTIMATED;
            long total = finished == 0 ? 0 : Math.round((double) objects * passes / finished);
            return java.util.Optional.of(new dev.harvest.core.progress.ProgressSample(
                    (passes == 1 ? "pass " : "segments ") + finished + "/" + passes, objects, total, kind,
                    errors.get()));
        }
    }

    @Command(name = "reindex", description = {
        "Asks the catalog to rebuild the search index of the harvested datasets, where it has one.",
        "The embedded catalog has no search index; a catalog that cannot reindex says so."})
    static final class Reindex extends HarvestCommand {
        @Parameters(arity = "0..1", paramLabel = "SOURCE", description = "only this source's datasets (id or name)")
        String source;

        @Override
        Integer run(Harvest harvest) {
            OptionalLong reindexed = harvest.reindex(source);
            if (reindexed.isPresent()) {
                out().println("Reindexed " + reindexed.getAsLong() + " datasets");
            } else if (harvest.catalog() instanceof EmbeddedCatalog) {
                out().println("The embedded catalog has no search index: there is nothing to reindex");
            } else {
                out().println("The " + harvest.settings().get("harvest.catalog.type", "configured")
                        + " catalog does not support reindexing: nothing was reindexed");
            }
            return 0;
        }
    }
}
