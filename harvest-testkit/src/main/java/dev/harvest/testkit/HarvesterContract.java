package dev.harvest.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.catalog.Dataset;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Harvester} must do, checked through the real engine: a plugin's test extends this class, says
 * how to serve a small remote with a {@link FixtureServer}, and inherits the tests.
 *
 * <pre>{@code
 * class MyHarvesterContractTest extends HarvesterContract {
 *     @Override
 *     protected Harvester harvester() {
 *         return new MyHarvester();
 *     }
 *
 *     @Override
 *     protected void serveRemote(FixtureServer server) {
 *         server.serveResource("/api/records", "application/json", "fixtures/three-records.json");
 *     }
 *
 *     @Override
 *     protected String sourceUrl(FixtureServer server) {
 *         return server.url("/api/records");
 *     }
 *
 *     @Override
 *     protected int expectedRecords() {
 *         return 3;
 *     }
 * }
 * }</pre>
 *
 * <p>The inherited tests check that the harvester:
 * <ul>
 * <li>describes itself with a valid name and a title;
 * <li>is listed in {@code META-INF/services/dev.harvest.api.Harvester}, so that the engine finds it;
 * <li>accepts an empty configuration or rejects it with a {@link ConfigValidationException}, never another
 *     exception;
 * <li>harvests the served remote without errors into {@link #expectedRecords()} new datasets, each in the catalog
 *     under the id its harvest object points to;
 * <li>adds, deletes and errors nothing when it harvests the unchanged remote again;
 * <li>records an error, and does not leave the job running, when the remote answers everything with an HTML page
 *     (a login page, a portal's error page);
 * <li>records a gather error when the remote cannot be reached.
 * </ul>
 *
 * <p>Each test gets a new {@link FixtureServer} and a new {@link HarvestTestBed} (on a {@code @TempDir}); a
 * subclass adds tests of its own with {@link #server()}, {@link #testBed()} and {@link #newSource()}, and may give
 * the test bed settings through {@link #configureTestBed(HarvestTestBed.Builder)}. Every test has a time limit of
 * five minutes, so that a harvester that hangs on a broken remote fails instead of stalling the build.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class HarvesterContract {

    /** The name of the source the contract's tests harvest. */
    protected static final String SOURCE_NAME = "contract-source";

    /** What the HTML remote answers to every request: a page a portal shows instead of its API. */
    private static final String HTML_PAGE = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
            + "<body><h1>Please sign in</h1><form action=\"/login\"><input name=\"user\"></form></body></html>\n";

    private Harvester harvester;
    private FixtureServer server;
    private HarvestTestBed testBed;

    /** For subclasses. */
    protected HarvesterContract() {}

    /**
     * The harvester under test. Called once per test, before the test bed is built; return a new instance or a
     * shared one (harvesters keep no per-job state).
     *
     * @return the harvester
     */
    protected abstract Harvester harvester();

    /**
     * Registers, on the server, the responses of a small remote with {@link #expectedRecords()} records: every path
     * the harvester will ask for. Called by the tests that harvest the remote, not by those that make it
     * misbehave.
     *
     * @param server the test's fixture server
     */
    protected abstract void serveRemote(FixtureServer server);

    /**
     * The URL of a source on this server, as an operator would enter it, e.g. {@code server.url("/oai")}. Also
     * asked of a server that was closed already, for the unreachable-remote test.
     *
     * @param server a fixture server
     * @return the source URL
     */
    protected abstract String sourceUrl(FixtureServer server);

    /**
     * The configuration of the contract's source.
     *
     * @return the configuration, usually JSON; empty by default
     */
    protected String sourceConfig() {
        return "";
    }

    /**
     * How many datasets a first harvest of {@link #serveRemote(FixtureServer) the served remote} creates.
     *
     * @return at least 1, or the harvest tests could not tell a working harvester from one that does nothing
     */
    protected abstract int expectedRecords();

    /**
     * Adjusts the test bed before it is built, e.g. with settings the harvester reads or a catalog of the test's
     * own. The harvester and the data directory are already set.
     *
     * @param builder the test bed's builder
     * @return the builder to build
     */
    protected HarvestTestBed.Builder configureTestBed(HarvestTestBed.Builder builder) {
        return builder;
    }

    /** @return the fixture server of the current test, started and empty */
    protected final FixtureServer server() {
        return server;
    }

    /** @return the test bed of the current test */
    protected final HarvestTestBed testBed() {
        return testBed;
    }

    /**
     * Creates the contract's source ({@value #SOURCE_NAME}) on the current server, with {@link #sourceConfig()}.
     *
     * @return the source
     * @throws InvalidSourceException if the harvester refuses {@link #sourceConfig()}
     */
    protected final HarvestSource newSource() {
        return testBed.source(SOURCE_NAME, sourceUrl(server), sourceConfig());
    }

    @BeforeEach
    final void startRemoteAndTestBed(@TempDir Path dataDirectory) {
        harvester = harvester();
        assertNotNull(harvester, "harvester() returned null");
        server = FixtureServer.start();
        testBed = configureTestBed(HarvestTestBed.builder().harvester(harvester).dataDirectory(dataDirectory))
                .build();
    }

    @AfterEach
    final void closeRemoteAndTestBed() {
        try {
            if (testBed != null) {
                testBed.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void theHarvesterDescribesItselfWithAValidNameAndATitle() {
        HarvesterInfo info = harvester.info();

        assertNotNull(info, "info() returned null");
        assertTrue(info.name().matches("[a-z0-9_-]+"),
                "the name is stored as a source's type: lowercase letters, digits, '-' and '_', not " + info.name());
        assertFalse(info.title().isBlank(), "the title is what the UI shows");
    }

    @Test
    void theHarvesterIsFoundByTheServiceLoader() {
        Class<? extends Harvester> type = harvester.getClass();
        List<String> listed;
        try {
            listed = ServiceLoader.load(Harvester.class).stream()
                    .map(provider -> provider.type().getName())
                    .toList();
        } catch (ServiceConfigurationError e) {
            throw new AssertionError("A META-INF/services/" + Harvester.class.getName() + " file on the class path "
                    + "is broken: " + e.getMessage(), e);
        }
        assertTrue(listed.contains(type.getName()), "META-INF/services/" + Harvester.class.getName()
                + " must list " + type.getName() + " for the engine to find it; the class path lists " + listed);
    }

    @Test
    void anEmptyConfigurationIsAcceptedOrRejectedWithAConfigValidationException() {
        try {
            String stored = harvester.validateConfig("", testBed.validationContext());
            assertNotNull(stored, "validateConfig must return the configuration to store, never null");
        } catch (ConfigValidationException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(),
                    "a rejected configuration needs a message naming what is wrong");
        } catch (RuntimeException e) {
            fail("validateConfig(\"\") must accept an empty configuration or throw ConfigValidationException, not "
                    + e, e);
        }
    }

    @Test
    void aFirstHarvestAddsEveryRecordWithoutErrorsAndEachDatasetIsInTheCatalog() {
        requireRecords();
        serveRemote(server);
        HarvestSource source = newSource();

        HarvestResult result = testBed.harvest(source);

        result.assertFinishedWithoutErrors();
        assertEquals(expectedRecords(), result.added(),
                () -> "datasets added by a first harvest of the served remote; the job " + result.describe());
        List<HarvestedObject> added = result.objects().stream()
                .filter(object -> "added".equals(object.reportStatus()))
                .toList();
        assertEquals(expectedRecords(), added.size(), () -> "objects reported added; the job " + result.describe());
        for (HarvestedObject object : added) {
            assertNotNull(object.packageId(), () -> "the added object " + object.guid() + " points to no dataset");
            Dataset dataset = testBed.dataset(object.packageId()).orElseThrow(() -> new AssertionError(
                    "the object " + object.guid() + " was added as dataset " + object.packageId()
                            + ", which the catalog does not have"));
            assertEquals("active", dataset.state(), () -> "the dataset of " + object.guid() + " is not active");
        }
    }

    @Test
    void aSecondHarvestOfTheUnchangedRemoteAddsDeletesAndErrorsNothing() {
        requireRecords();
        serveRemote(server);
        HarvestSource source = newSource();
        HarvestResult first = testBed.harvest(source);
        first.assertFinishedWithoutErrors();

        HarvestResult second = testBed.harvest(source);

        second.assertFinishedWithoutErrors();
        assertEquals(0, second.added(), () -> "a harvest of an unchanged remote added datasets; the job "
                + second.describe());
        assertEquals(0, second.deleted(), () -> "a harvest of an unchanged remote deleted datasets; the job "
                + second.describe());
        assertEquals(expectedRecords(), testBed.datasets(source).size(),
                "the datasets of the first harvest must all still be there, active");
    }

    @Test
    void aRemoteAnsweringEveryRequestWithAnHtmlPageEndsInARecordedErrorNotAnException() {
        server.serveAnyOtherPath(request -> FixtureResponse.ok("text/html; charset=utf-8", HTML_PAGE));
        HarvestSource source = newSource();

        HarvestResult result = assertDoesNotThrow(() -> testBed.harvest(source),
                "the engine records a harvester's exceptions: none may escape a harvest");

        assertJobEnded(result);
        assertTrue(!result.gatherErrors().isEmpty() || !result.objectErrorsByGuid().isEmpty(),
                () -> "a remote that answers HTML instead of its API must end in a recorded gather or object error, "
                        + "but the job " + result.describe());
    }

    @Test
    void anUnreachableRemoteEndsInARecordedGatherError() {
        String unreachableUrl;
        try (FixtureServer closed = FixtureServer.start()) {
            unreachableUrl = sourceUrl(closed);
        }
        HarvestSource source = testBed.source(SOURCE_NAME, unreachableUrl, sourceConfig());

        HarvestResult result = assertDoesNotThrow(() -> testBed.harvest(source),
                "the engine records a harvester's exceptions: none may escape a harvest");

        assertJobEnded(result);
        assertFalse(result.gatherErrors().isEmpty(), () -> "a remote that refuses connections must end in a recorded "
                + "gather error, but the job " + result.describe());
    }

    private void requireRecords() {
        assertTrue(expectedRecords() > 0, "expectedRecords() must be at least 1: serve a remote with records");
    }

    private static void assertJobEnded(HarvestResult result) {
        assertTrue(result.status().equals("Finished") || result.status().equals("Aborted"),
                () -> "a harvest must end Finished or Aborted, never be left " + result.status());
    }
}
