package dev.harvest.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.db.HarvestDatabase;
import dev.harvest.core.migrate.CkanMigration;
import dev.harvest.core.migrate.CkanSite;
import dev.harvest.core.migrate.MigrationReport;
import dev.harvest.core.migrate.TableCount;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code harvester migrate-from-ckan --from JDBC-URL}: copies a CKAN site's harvest data into the harvest database
 * ({@link CkanMigration}), prints the counts per table and checks them against the CKAN database.
 */
@Command(name = "migrate-from-ckan", aliases = "migrate_from_ckan",
        description = "Copies a CKAN site's harvest data (ckanext-harvest's tables: sources, jobs, objects, extras,"
                + " errors, logs) into the harvest database, keeping every id; run again, it copies nothing new.")
final class MigrateCommand implements Callable<Integer> {

    @ParentCommand
    HarvesterCommand parent;

    @Spec
    CommandSpec spec;

    @Mixin
    Commands.HelpOption helpOption;

    @Option(names = "--from", paramLabel = "JDBC-URL",
            description = "The CKAN database, e.g. jdbc:postgresql://localhost/ckan_default (default: the"
                    + " configuration's sqlalchemy.url, when harvest.db.url names harvest's own database)")
    String from;

    @Option(names = "--user", paramLabel = "USER", description = "The CKAN database's user (else from the URL)")
    String user;

    @Option(names = "--password-env", paramLabel = "VARIABLE",
            description = "Environment variable that holds the CKAN database's password (never on the command line)")
    String passwordEnv;

    @Option(names = "--dry-run", description = "Count what would be copied; write nothing, not even the schema.")
    boolean dryRun;

    @Option(names = "--batch-size", paramLabel = "ROWS", defaultValue = "" + CkanMigration.DEFAULT_BATCH_SIZE,
            description = "Rows read and written per round trip (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (batchSize < 1) {
            throw new HarvestException("--batch-size must be at least 1, not " + batchSize);
        }
        String password = null;
        if (passwordEnv != null) {
            password = System.getenv(passwordEnv);
            if (password == null) {
                throw new HarvestException("--password-env: the environment variable " + passwordEnv + " is not set");
            }
        }
        HarvestConfig config = Commands.HarvestCommand.config(parent.config)
                .withDatabaseUse(HarvestConfig.DatabaseUse.oneShot(spec.name()))
                .validated(Harvest.declaredSettings(PluginFolder.classLoader(parent, spec.commandLine().getErr())));
        String user = this.user;
        String from = this.from;
        if (from == null) {
            HarvestConfig.JdbcTarget ckan = config.ckanDatabase().orElseThrow(() -> new HarvestException("--from is"
                    + " missing: give the CKAN database's JDBC URL, or use a configuration whose sqlalchemy.url is"
                    + " CKAN's database and harvest.db.url harvest's own"));
            from = ckan.url();
            if (user == null) {
                user = ckan.user().isEmpty() ? null : ckan.user();
                password = password == null ? ckan.password() : password;
            }
        }
        if (from.equals(config.jdbcUrl())) {
            throw new HarvestException("--from is the harvest database itself (" + masked(from) + "): give the CKAN"
                    + " site's database, and point harvest.db.url at a new one");
        }
        if (!dryRun) {
            HarvestDatabase.initialise(config);
        }
        try (CkanSite site = CkanSite.connect(from, user, password);
                HikariDataSource target = HarvestDatabase.connectWithoutMigrating(config)) {
            out.println((dryRun ? "Dry run: counting what would be copied" : "Copying") + " from the CKAN database "
                    + site.description() + " into the harvest database " + masked(config.jdbcUrl()));
            MigrationReport report = new CkanMigration(site, target, batchSize).run(dryRun, count -> {
                out.println(line(count, dryRun));
                out.flush();
            });
            return summary(out, report);
        }
    }

    static String line(TableCount count, boolean dryRun) {
        return String.format("%-21s %d in CKAN, %d %s, %d already in harvest%s", count.table() + ":", count.inCkan(),
                count.copied(), dryRun ? "to copy" : "copied", count.alreadyThere(),
                dryRun ? "" : "; harvest now holds " + count.inHarvest());
    }

    private int summary(PrintWriter out, MigrationReport report) {
        if (!report.mismatches().isEmpty()) {
            for (TableCount count : report.mismatches()) {
                out.println("Check failed: " + count.table() + ": " + count.inCkan() + " rows in CKAN, but "
                        + (count.copied() + count.alreadyThere()) + " found or copied"
                        + (report.dryRun() ? "" : " and " + count.inHarvest() + " in harvest")
                        + " (did the CKAN site change during the copy? run the command again)");
            }
            return 1;
        }
        if (report.dryRun()) {
            out.println("Dry run: " + report.copied() + " rows would be copied; nothing was written");
        } else if (report.copied() == 0) {
            out.println("Nothing new to copy: the harvest database already holds every row of the CKAN site");
        } else {
            out.println("Copied " + report.copied() + " rows. Check: every table's rows in the CKAN database are in"
                    + " the harvest database");
        }
        return 0;
    }

    private static String masked(String url) {
        return url.replaceAll("password=[^&;]*", "password=***");
    }
}
