package org.example.harvest.embedding;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.store.JobStats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Embeds the harvest engine in an application: harvests a remote CKAN into the application's own catalog and prints
 * what happened.
 *
 * <pre>
 * java -jar harvest-embedding-example.jar https://demo.ckan.org [data-dir]
 * </pre>
 *
 * <p>The engine keeps its bookkeeping (sources, jobs, harvest objects) in an H2 database in the data directory; the
 * datasets go to {@link InMemoryCatalog}. The CKAN harvester is not named anywhere in this code: it is on the class
 * path ({@code harvest-ckan}, a runtime dependency) and the engine finds it with {@link java.util.ServiceLoader}, as
 * it finds any harvester plugin.
 */
public final class EmbeddingExample {

    /** The name of the harvest source this example creates. */
    public static final String SOURCE_NAME = "remote-ckan";

    private EmbeddingExample() {}

    /**
     * @param args the remote CKAN's URL, and optionally the data directory (default: a new temporary directory)
     * @throws IOException if the temporary directory cannot be created
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("Usage: EmbeddingExample CKAN_URL [DATA_DIR]");
            System.exit(2);
        }
        Path dataDir = args.length == 2 ? Path.of(args[1]) : Files.createTempDirectory("harvest-embedding-");
        JobReport report = run(args[0], dataDir, new InMemoryCatalog(System.out), System.out);
        System.exit(report.stats().count("errored") == 0 ? 0 : 1);
    }

    /**
     * Harvests a remote CKAN once, as {@code harvester run_test} does, and prints the job's counts, its errors and
     * the catalog's datasets.
     *
     * @param ckanUrl the remote CKAN's site URL
     * @param dataDir where the engine keeps its H2 database
     * @param catalog where the datasets go
     * @param out where the summary is printed
     * @return the job's report
     */
    public static JobReport run(String ckanUrl, Path dataDir, InMemoryCatalog catalog, PrintStream out) {
        // The embedded configuration: H2 in dataDir, in-process queue.
        return run(ckanUrl, HarvestConfig.embedded(dataDir), catalog, out);
    }

    /**
     * Harvests a remote CKAN once with a configuration of the application's, e.g. one that sets
     * {@code harvest.http.allow_private_addresses = true} to harvest a CKAN on the application's own network, which
     * the outbound HTTP policy refuses by default.
     *
     * @param ckanUrl the remote CKAN's site URL
     * @param config the engine's configuration
     * @param catalog where the datasets go
     * @param out where the summary is printed
     * @return the job's report
     */
    public static JobReport run(String ckanUrl, HarvestConfig config, InMemoryCatalog catalog, PrintStream out) {
        // The application's catalog instead of the embedded one. build() creates or upgrades the engine's tables and
        // discovers the harvesters.
        try (Harvest harvest = Harvest.builder(config).catalog(catalog).build()) {
            out.println("Harvesters found: " + harvest.harvesters().names());

            // A source is a remote catalog plus the name of the harvester that reads it. A data directory that is
            // used again already has it.
            HarvestSource source = harvest.sources(true).stream()
                    .filter(existing -> existing.name().equals(SOURCE_NAME))
                    .findFirst()
                    .orElseGet(() -> harvest.createSource(SourceRequest.of(SOURCE_NAME, ckanUrl, "ckan")));

            // One whole job in this thread: gather, fetch and import every remote dataset.
            JobReport report = harvest.runTest(source.name());

            JobStats stats = report.stats();
            out.printf("Harvest of %s: %s; added %d, updated %d, not modified %d, deleted %d, errors %d%n",
                    source.url(), report.job().status(), stats.count("added"), stats.count("updated"),
                    stats.count("not modified"), stats.count("deleted"), stats.count("errored"));
            report.gatherErrors().forEach(error -> out.println("  job error: " + error));
            report.objectsWithErrors().forEach(object -> object.errors().forEach(
                    error -> out.println("  error in " + object.guid() + ": " + error)));
            out.println("Datasets in the catalog:");
            for (Dataset dataset : catalog.datasets()) {
                out.println("  " + dataset.name() + " (" + dataset.state() + "): " + dataset.title());
            }
            return report;
        }
    }
}
