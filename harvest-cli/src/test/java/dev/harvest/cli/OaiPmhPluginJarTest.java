package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.harvest.cli.CliRunner.Result;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OAI-PMH example plugin ({@code examples/oai-pmh}), built as the jar a third party ships, works in the stock
 * command line from the plugins folder. The build copies the jar to {@code target/test-plugins} (see the
 * maven-dependency-plugin in this module's pom); it is on no class path of this module, so only the plugins folder
 * can make {@code oai_pmh} known.
 */
class OaiPmhPluginJarTest {

    /** Where the build puts the plugin jar; tests run in the module's directory. */
    private static final Path BUILT_PLUGINS = Path.of("target", "test-plugins");
    /** The plugin's own fixtures, written from the OAI-PMH 2.0 specification. */
    private static final Path FIXTURES = Path.of("..", "examples", "oai-pmh", "src", "test", "resources", "oai");
    private static final String PLUGIN_CLASS = "org.example.harvest.oai.OaiPmhHarvester";

    @TempDir
    Path dir;

    private final List<URI> requests = new CopyOnWriteArrayList<>();
    private HttpServer repository;
    private Path config;

    @BeforeEach
    void startRepositoryAndWriteConfig() throws IOException {
        byte[] page1 = Files.readAllBytes(FIXTURES.resolve("ListRecords-page1.xml"));
        byte[] page2 = Files.readAllBytes(FIXTURES.resolve("ListRecords-page2.xml"));
        repository = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        repository.createContext("/oai", exchange -> {
            requests.add(exchange.getRequestURI());
            String query = exchange.getRequestURI().getRawQuery();
            byte[] body = query != null && query.contains("resumptionToken=") ? page2 : page1;
            exchange.getResponseHeaders().set("Content-Type", "text/xml; charset=UTF-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        repository.start();
        config = dir.resolve("harvest.properties");
        Files.writeString(config, "harvest.data_dir = " + dir.resolve("data").toAbsolutePath() + "\n"
                + "ckan.harvest.mq.type = memory\n"
                // the repository listens on loopback, which the outbound policy refuses by default
                + "harvest.http.allow_private_addresses = true\n");
    }

    @AfterEach
    void stopRepository() {
        repository.stop(0);
    }

    @Test
    void withoutThePluginsFolderTheOaiPmhTypeIsUnknown() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(PLUGIN_CLASS),
                "the plugin must not be on the test class path, or ServiceLoader would find it without the folder");
        Path noPlugins = dir.resolve("no-plugins");

        Result info = harvester(noPlugins, "harvesters_info");
        Result source = harvester(noPlugins, "source", "repository", repositoryUrl(), "oai_pmh");

        assertEquals(0, info.code(), info::toString);
        assertFalse(info.out().contains("oai_pmh"), info.out());
        assertEquals(1, source.code(), source::toString);
        assertTrue(source.err().contains("Unknown harvester type: oai_pmh"), source.err());
    }

    @Test
    void thePluginJarInThePluginsFolderIsListedAndHarvestsARepository() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path jar = builtPluginJar();
        Files.copy(jar, plugins.resolve(jar.getFileName()));

        Result info = harvester(plugins, "harvesters_info");
        assertEquals(0, info.code(), info::toString);
        assertTrue(info.out().contains("oai_pmh\tOAI-PMH\tAn OAI-PMH 2.0 repository's Dublin Core records"),
                info.out());

        Result created = harvester(plugins, "source", "repository", repositoryUrl(), "oai_pmh", "Example repository",
                "true", "", "MANUAL", "{\"metadataPrefix\": \"oai_dc\"}");
        assertEquals(0, created.code(), created::toString);
        assertTrue(created.out().contains("\ttype: oai_pmh\n"), created.out());

        Result run = harvester(plugins, "run_test", "repository");
        assertEquals(0, run.code(), run::toString);
        // four live records; the fifth is a deletion of a record this source never had
        assertTrue(run.out().contains("added: 4, updated: 0, not modified: 1, deleted: 0, errored: 0"), run.out());
        assertEquals(2, requests.size(), requests::toString);
        assertTrue(requests.get(1).getRawQuery().startsWith("verb=ListRecords&resumptionToken="), requests::toString);
    }

    private String repositoryUrl() {
        return "http://127.0.0.1:" + repository.getAddress().getPort() + "/oai";
    }

    private Result harvester(Path plugins, String... args) {
        return CliRunner.run(List.of("--config", config.toString(), "--plugins", plugins.toString()), args);
    }

    private static Path builtPluginJar() throws IOException {
        assertTrue(Files.isDirectory(BUILT_PLUGINS), "no " + BUILT_PLUGINS.toAbsolutePath() + ": the build copies the"
                + " OAI-PMH plugin jar there in process-test-classes (mvn verify from the repository root)");
        try (Stream<Path> files = Files.list(BUILT_PLUGINS)) {
            List<Path> jars = files.filter(file -> file.getFileName().toString().startsWith("harvest-oai-pmh-")
                    && file.getFileName().toString().endsWith(".jar")).toList();
            assertEquals(1, jars.size(), () -> "OAI-PMH plugin jars in " + BUILT_PLUGINS + ": " + jars);
            return jars.get(0);
        }
    }
}
