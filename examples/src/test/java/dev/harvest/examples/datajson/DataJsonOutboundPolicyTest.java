package dev.harvest.examples.datajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Settings;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.examples.testing.MapSettings;
import dev.harvest.examples.testing.RecordingGatherContext;
import dev.harvest.examples.testing.TestHttpServer;
import dev.harvest.examples.testing.TestSources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The data.json download obeys the site's outbound HTTP policy: a source on a loopback address, by address or by
 * name, and a redirect to another origin are refused before any request reaches them, with one line that names the
 * URL and the setting that would allow it, and never the body of what the redirect pointed at.
 */
class DataJsonOutboundPolicyTest {

    private static final String SECRET = "INTERNAL-ADMIN-SECRET token=abc123";
    private static final String CATALOG = "{\"dataset\": [{\"identifier\": \"a\", \"title\": \"A\"},"
            + " {\"identifier\": \"b\", \"title\": \"B\"}]}";

    private final DataJsonHarvester harvester = new DataJsonHarvester();
    private final TestHttpServer remote;
    private final TestHttpServer internal;
    private RecordingGatherContext context;

    DataJsonOutboundPolicyTest() throws Exception {
        remote = new TestHttpServer();
        internal = new TestHttpServer();
        internal.serve("/admin", 200, "text/plain", SECRET);
    }

    @AfterEach
    void stopServers() {
        remote.close();
        internal.close();
    }

    private GatherOutcome gather(String url, Settings settings) throws Exception {
        harvester.start(settings);
        context = new RecordingGatherContext(TestSources.dataJsonSource(url, ""));
        return harvester.gather(context);
    }

    private String failureOf(String url, Settings settings) throws Exception {
        GatherOutcome outcome = gather(url, settings);
        assertEquals(0, context.emittedCount());
        return assertInstanceOf(GatherOutcome.Failed.class, outcome).message();
    }

    private static MapSettings allowingLoopbackAndCrossOriginRedirects() {
        return new MapSettings(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "true",
                OutboundPolicy.CROSS_ORIGIN_REDIRECTS, "true"));
    }

    @Test
    void connectionFailuresReadAlikeWhetherThePortIsClosedOrSilent() throws Exception {
        int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) { // accepts (backlog) and never answers
            String closed = failureOfWithTimeout("http://127.0.0.1:" + closedPort + "/data.json")
                    .replace(":" + closedPort + "/", ":PORT/");
            String silentMessage = failureOfWithTimeout("http://127.0.0.1:" + silent.getLocalPort() + "/data.json")
                    .replace(":" + silent.getLocalPort() + "/", ":PORT/");

            assertEquals("Could not download http://127.0.0.1:PORT/data.json: could not connect to 127.0.0.1, or it"
                    + " did not answer within 1 seconds", closed);
            assertEquals(closed, silentMessage);
        }
    }

    private String failureOfWithTimeout(String url) throws Exception {
        harvester.start(new MapSettings(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "true")));
        context = new RecordingGatherContext(TestSources.dataJsonSource(url, "{\"timeout_seconds\": 1}"));
        return assertInstanceOf(GatherOutcome.Failed.class, harvester.gather(context)).message();
    }

    @Test
    void aSourceOnALoopbackAddressIsRefusedByDefaultNamingTheSettingThatAllowsIt() throws Exception {
        String url = remote.serveJson("/data.json", CATALOG);

        String message = failureOf(url, MapSettings.empty());

        assertTrue(message.startsWith("Could not download " + url + ": Refused by the outbound HTTP policy: "
                + "127.0.0.1 is a loopback address (allowed only with " + OutboundPolicy.ALLOW_PRIVATE_ADDRESSES
                + " = true"), message);
        assertEquals(1, message.lines().count(), message);
        assertEquals(0, remote.requestCount("/data.json"), "the loopback server was reached");
    }

    @Test
    void aHostNameThatResolvesToLoopbackIsRefusedBeforeAnyRequest() throws Exception {
        remote.serveJson("/data.json", CATALOG);
        String url = "http://localhost:" + remote.port() + "/data.json";

        String message = failureOf(url, MapSettings.empty());

        assertTrue(message.startsWith("Could not download " + url + ": Refused by the outbound HTTP policy: "
                + "localhost resolves to "), message);
        assertTrue(message.contains("which is a loopback address (allowed only with "
                + OutboundPolicy.ALLOW_PRIVATE_ADDRESSES + " = true"), message);
        assertEquals(0, remote.requestCount("/data.json"), "the loopback server was reached");
    }

    @Test
    void aRedirectToAnotherLoopbackPortIsNotFollowedAndTheInternalPageIsNeverRequested() throws Exception {
        String url = remote.serveRedirect("/data.json", 302, internal.url("/admin"));

        String message = failureOf(url, MapSettings.allowingLoopback());

        assertEquals("Could not download " + url + ": Refused to follow a redirect from " + remote.url("")
                + " to another origin, " + internal.url("") + " (followed only with "
                + OutboundPolicy.CROSS_ORIGIN_REDIRECTS + " = true)", message);
        assertEquals(1, remote.requestCount("/data.json"));
        assertEquals(0, internal.requestCount("/admin"), "the internal port was reached");
        assertFalse(message.contains("INTERNAL-ADMIN-SECRET"), message);
        assertEquals(List.of(), context.gatherErrors());
    }

    @Test
    void aCrossOriginRedirectIsFollowedWhenTheSiteAllowsIt() throws Exception {
        internal.serveJson("/data.json", CATALOG);
        String url = remote.serveRedirect("/data.json", 301, internal.url("/data.json"));

        GatherOutcome outcome = gather(url, allowingLoopbackAndCrossOriginRedirects());

        assertEquals(GatherOutcome.fullListing(), outcome);
        assertEquals(List.of("a", "b"), context.guids());
        assertEquals(1, internal.requestCount("/data.json"));
    }

    @Test
    void aPageThatAnAllowedRedirectLeadsToIsDescribedButNeverQuoted() throws Exception {
        String url = remote.serveRedirect("/data.json", 302, internal.url("/admin"));

        String message = failureOf(url, allowingLoopbackAndCrossOriginRedirects());

        assertEquals(1, internal.requestCount("/admin"), "the redirect was followed, as configured");
        assertTrue(message.startsWith(url + " is not a JSON document: invalid JSON at line 1, column "), message);
        assertFalse(message.contains("INTERNAL"), message);
    }

    @Test
    void aRelativeRedirectOnTheSameOriginIsFollowedByDefault() throws Exception {
        remote.serveJson("/catalog/data.json", CATALOG);
        String url = remote.serveRedirect("/data.json", 308, "/catalog/data.json");

        GatherOutcome outcome = gather(url, MapSettings.allowingLoopback());

        assertEquals(GatherOutcome.fullListing(), outcome);
        assertEquals(List.of("a", "b"), context.guids());
    }

    @Test
    void aRedirectLoopIsAbandonedAfterFiveRedirects() throws Exception {
        String url = remote.serveRedirect("/data.json", 302, "/data.json");

        String message = failureOf(url, MapSettings.allowingLoopback());

        assertEquals("Could not download " + url + ": more than " + DataJsonHarvester.MAX_REDIRECTS + " redirects",
                message);
        assertEquals(DataJsonHarvester.MAX_REDIRECTS + 1, remote.requestCount("/data.json"));
    }
}
