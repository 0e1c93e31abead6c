package org.example.harvest.oai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.HarvestSource;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.testkit.FixtureResponse;
import dev.harvest.testkit.FixtureServer;
import dev.harvest.testkit.HarvestResult;
import dev.harvest.testkit.HarvestTestBed;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OAI-PMH requests obey the site's outbound HTTP policy: a repository on a loopback address, by address or by
 * name, and a redirect to another origin are refused before any request reaches them, with one gather error that
 * names the URL and the setting that would allow it, and never the body of what the redirect pointed at.
 */
class OaiPmhOutboundPolicyTest {

    private static final String XML = "text/xml; charset=UTF-8";
    private static final String SECRET = "INTERNAL-ADMIN-SECRET token=abc123";
    private static final String FIRST_REQUEST = "/oai?verb=ListRecords&metadataPrefix=oai_dc";

    private final FixtureServer remote = FixtureServer.start();
    private final FixtureServer internal = FixtureServer.start();

    @TempDir
    Path dataDirectory;

    @AfterEach
    void stopServers() {
        remote.close();
        internal.close();
    }

    /** A test bed on {@link #dataDirectory} whose site has these settings besides the test bed's own. */
    private HarvestTestBed testBed(Map<String, String> settings) {
        HarvestTestBed.Builder builder = HarvestTestBed.builder().harvester(new OaiPmhHarvester())
                .dataDirectory(dataDirectory);
        settings.forEach(builder::setting);
        return builder.build();
    }

    /** Answers every request with a redirect to the same path and query on another server. */
    private void redirectEverythingTo(FixtureServer target) {
        remote.serve("/oai", request -> FixtureResponse.status(302, "text/html", "<a href=\"elsewhere\">moved</a>")
                .withHeader("Location", target.url("/oai") + request.rawQuery().map(query -> "?" + query).orElse("")));
    }

    private static String onlyGatherError(HarvestResult result) {
        assertEquals(0, result.added(), result::describe);
        List<String> errors = result.gatherErrors();
        assertEquals(1, errors.size(), result::describe);
        assertEquals(1, errors.get(0).lines().count(), errors.get(0));
        return errors.get(0);
    }

    @Test
    void aHostNameThatResolvesToLoopbackIsRefusedByDefaultNamingTheSettingThatAllowsIt() {
        remote.serveResource("/oai", XML, "oai/ListRecords-page2.xml");
        String url = "http://localhost:" + remote.port() + "/oai";
        try (HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "false"))) {
            String error = onlyGatherError(testBed.harvest(testBed.source("by-name", url, "")));

            assertTrue(error.startsWith("Could not read the OAI-PMH response http://localhost:" + remote.port()
                    + FIRST_REQUEST + ": Refused by the outbound HTTP policy: localhost resolves to "), error);
            assertTrue(error.contains("which is a loopback address (allowed only with "
                    + OutboundPolicy.ALLOW_PRIVATE_ADDRESSES + " = true"), error);
            assertEquals(0, remote.requests().size(), "the loopback server was reached");
        }
    }

    @Test
    void aSourceOnALoopbackAddressIsRefusedOnceTheSiteNoLongerAllowsPrivateAddresses() {
        remote.serveResource("/oai", XML, "oai/ListRecords-page2.xml");
        HarvestSource source;
        // the engine refuses a literal loopback URL when a source is created, so create it while the site allows it
        try (HarvestTestBed allowing = testBed(Map.of())) {
            source = allowing.source("by-address", remote.url("/oai"), "");
        }
        try (HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "false"))) {
            String error = onlyGatherError(testBed.harvest(source));

            assertTrue(error.startsWith("Could not read the OAI-PMH response " + remote.url(FIRST_REQUEST)
                    + ": Refused by the outbound HTTP policy: 127.0.0.1 is a loopback address (allowed only with "
                    + OutboundPolicy.ALLOW_PRIVATE_ADDRESSES + " = true"), error);
            assertEquals(0, remote.requests().size(), "the loopback server was reached");
        }
    }

    @Test
    void aRedirectToAnotherLoopbackPortIsNotFollowedAndTheInternalPageIsNeverRequested() {
        internal.serve("/oai", "text/plain", SECRET);
        redirectEverythingTo(internal);
        try (HarvestTestBed testBed = testBed(Map.of())) {
            HarvestResult result = testBed.harvest(testBed.source("redirecting", remote.url("/oai"), ""));

            assertEquals("Could not read the OAI-PMH response " + remote.url(FIRST_REQUEST) + ": Refused to follow a"
                    + " redirect from " + remote.baseUrl() + " to another origin, " + internal.baseUrl()
                    + " (followed only with " + OutboundPolicy.CROSS_ORIGIN_REDIRECTS + " = true)",
                    onlyGatherError(result));
            assertEquals(1, remote.requests().size());
            assertEquals(0, internal.requests().size(), "the internal port was reached");
            assertFalse(result.describe().contains("INTERNAL-ADMIN-SECRET"), result::describe);
        }
    }

    @Test
    void aClosedPortReadsAsCouldNotConnectWithoutTheSocketsOwnWords() throws Exception {
        int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort + "/oai";
        try (HarvestTestBed testBed = testBed(Map.of())) {
            String error = onlyGatherError(testBed.harvest(testBed.source("closed", url, "")));

            assertEquals("Could not read the OAI-PMH response http://127.0.0.1:" + closedPort + FIRST_REQUEST
                    + ": could not connect to 127.0.0.1, or it did not answer within 60 seconds", error);
        }
    }

    @Test
    void aCrossOriginRedirectIsFollowedWhenTheSiteAllowsIt() {
        internal.serveResource("/oai", XML, "oai/ListRecords-page2.xml");
        redirectEverythingTo(internal);
        try (HarvestTestBed testBed = testBed(Map.of(OutboundPolicy.CROSS_ORIGIN_REDIRECTS, "true"))) {
            HarvestResult result = testBed.harvest(testBed.source("redirecting", remote.url("/oai"), ""));

            result.assertFinishedWithoutErrors().assertCounts(2, 0, 0, 0, 0);
            assertEquals(List.of("ListRecords"), internal.requests().get(0).queryValues("verb"));
        }
    }

    @Test
    void aRedirectLoopIsAbandonedAfterFiveRedirects() {
        remote.serve("/oai", request -> FixtureResponse.status(307, "text/html", "again")
                .withHeader("Location", "/oai?" + request.rawQuery().orElse("")));
        try (HarvestTestBed testBed = testBed(Map.of())) {
            String error = onlyGatherError(testBed.harvest(testBed.source("looping", remote.url("/oai"), "")));

            assertEquals("Could not read the OAI-PMH response " + remote.url(FIRST_REQUEST) + ": more than "
                    + OaiPmhHarvester.MAX_REDIRECTS + " redirects", error);
            assertEquals(OaiPmhHarvester.MAX_REDIRECTS + 1, remote.requests().size());
        }
    }
}
