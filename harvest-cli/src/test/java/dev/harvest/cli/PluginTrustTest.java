package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.cli.CliRunner.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin loading that cannot be planted (issue 13, failure 4): no implicit {@code ./plugins}, folders and jars that
 * others can write are refused before any plugin code runs, and a plugin that fails to load is named without breaking
 * the commands that do not need it. The plugin jars are compiled and packed by the test, so that their classes are on
 * no class path but the plugins folder's.
 */
class PluginTrustTest {

    @TempDir
    Path dir;

    private Path config;
    private Path marker;

    @BeforeEach
    void writeConfig() throws IOException {
        config = dir.resolve("harvest.properties");
        Files.writeString(config, "harvest.db.url = jdbc:h2:mem:trust-" + UUID.randomUUID() + "\n"
                + "ckan.harvest.mq.type = memory\n");
        marker = dir.resolve("static-initializer-ran");
    }

    private Result harvester(Path plugins, String... args) {
        List<String> all = new ArrayList<>(List.of("-c", config.toString()));
        if (plugins != null) {
            all.addAll(List.of("--plugins", plugins.toString()));
        }
        return CliRunner.run(all, args);
    }

    // ------------------------------------------------------------------------------- plugin sources

    private static String harvester(String className, String name, String extra) {
        String simple = className.substring(className.lastIndexOf('.') + 1);
        return "package " + className.substring(0, className.lastIndexOf('.')) + ";\n"
                + "import dev.harvest.api.*;\n"
                + "public final class " + simple + " implements Harvester {\n"
                + extra + "\n"
                + "  public HarvesterInfo info() { return new HarvesterInfo(\"" + name + "\", \"T\", \"D\"); }\n"
                + "  public GatherOutcome gather(GatherContext c) { return GatherOutcome.fullListing(); }\n"
                + "  public FetchOutcome fetch(FetchContext c) { return FetchOutcome.proceed(); }\n"
                + "  public ImportOutcome importObject(ImportContext c) { return ImportOutcome.skipped(\"-\"); }\n"
                + "}\n";
    }

    /** A provider whose static initializer leaves a file behind: proof that plugin code ran. */
    private String markingHarvester() {
        return harvester("planted.MarkingHarvester", "planted", "  static { try { java.nio.file.Files.writeString("
                + "java.nio.file.Path.of(\"" + marker.toString().replace("\\", "\\\\") + "\"), \"ran\"); }"
                + " catch (java.io.IOException e) { throw new RuntimeException(e); } }");
    }

    /**
     * Compiles the sources against the test class path and packs them with a services file naming the providers.
     *
     * @return the jar
     */
    private Path pluginJar(Path folder, String jarName, Map<String, String> sources, List<String> providers)
            throws IOException {
        Path src = Files.createTempDirectory(dir, "src");
        Path classes = Files.createTempDirectory(dir, "classes");
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            files.add(file.toString());
        }
        if (!files.isEmpty()) {
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp",
                    System.getProperty("java.class.path")));
            args.addAll(files);
            assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "the plugin compiles");
        }
        Path jar = folder.resolve(jarName);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> compiled = Files.walk(classes)) {
            out.putNextEntry(new JarEntry("META-INF/services/dev.harvest.api.Harvester"));
            out.write((String.join("\n", providers) + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            for (Path file : compiled.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(file));
                out.closeEntry();
            }
        }
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar;
    }

    private Path ownerOnlyFolder(String name) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        return folder;
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void aWorldWritablePluginsFolderIsRefusedBeforeAnyPluginCodeRuns() throws IOException {
        Path plugins = ownerOnlyFolder("plugins");
        pluginJar(plugins, "planted.jar", Map.of("planted.MarkingHarvester", markingHarvester()),
                List.of("planted.MarkingHarvester"));
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxrwxrwx"));

        Result result = harvester(plugins, "config", "--list");

        assertEquals(1, result.code());
        assertEquals("Error: Refusing the plugins folder " + plugins + ": it is writable by other users (rwxrwxrwx),"
                + " and plugins run with this program's rights; make it writable by its owner only (chmod go-w "
                + plugins + ")\n", result.err());
        assertFalse(Files.exists(marker), "the planted plugin's static initializer ran");
    }

    @Test
    void aGroupWritableJarIsRefusedNamingIt() throws IOException {
        Path plugins = ownerOnlyFolder("plugins");
        Path jar = pluginJar(plugins, "planted.jar", Map.of("planted.MarkingHarvester", markingHarvester()),
                List.of("planted.MarkingHarvester"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-r--"));

        Result result = harvester(plugins, "harvesters_info");

        assertEquals(1, result.code());
        assertTrue(result.err().startsWith("Error: Refusing the plugin jar " + jar + ": it is writable by its group"
                + " (rw-rw-r--)"), result.err());
        assertEquals(1, result.err().lines().count(), result.err());
        assertFalse(Files.exists(marker));
    }

    @Test
    void aTrustedFolderLoadsItsPluginsAndRunsThem() throws IOException {
        Path plugins = ownerOnlyFolder("plugins");
        pluginJar(plugins, "planted.jar", Map.of("planted.MarkingHarvester", markingHarvester()),
                List.of("planted.MarkingHarvester"));

        Result result = harvester(plugins, "harvesters_info");

        assertEquals(0, result.code(), result.err());
        assertTrue(result.out().contains("planted\tT\tD"), result.out());
        assertTrue(Files.exists(marker), "the same plugin is loaded once the folder is its owner's only");
    }

    @Test
    void brokenPluginsAreNamedAndTheOtherCommandsStillWork() throws IOException {
        Path plugins = ownerOnlyFolder("plugins");
        Path exploding = pluginJar(plugins, "exploding.jar", Map.of("broken.Exploding",
                harvester("broken.Exploding", "exploding", "  static { if (true) throw new IllegalStateException("
                        + "\"static initializer exploded\"); }")), List.of("broken.Exploding"));
        Path missing = pluginJar(plugins, "missing.jar", Map.of(), List.of("broken.NotInTheJar"));
        Path unsupported = pluginJar(plugins, "unsupported.jar", Map.of("broken.Unsupported",
                harvester("broken.Unsupported", "unsupported", "").replace(
                        "return new HarvesterInfo(\"unsupported\", \"T\", \"D\");",
                        "throw new UnsupportedOperationException();")), List.of("broken.Unsupported"));
        pluginJar(plugins, "working.jar", Map.of("fine.Working", harvester("fine.Working", "working", "")),
                List.of("fine.Working"));

        Result settings = harvester(plugins, "config", "--list");
        Result info = harvester(plugins, "harvesters_info");
        Result sources = harvester(plugins, "sources");

        assertEquals(0, settings.code(), settings.err());
        assertTrue(settings.out().contains("harvest.plugins.dir = (none)"), settings.out());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("working\tT\tD"), info.out());
        assertEquals(0, sources.code(), sources.err());
        for (Result result : List.of(settings, info, sources)) {
            assertEquals(3, result.err().lines().filter(line -> line.startsWith("Warning: Harvester plugin ")).count(),
                    result.err());
            assertTrue(result.err().contains("Warning: Harvester plugin broken.Exploding in " + exploding
                    + " was not loaded: "), result.err());
            assertTrue(result.err().contains("static initializer exploded"), result.err());
            assertTrue(result.err().contains("Warning: Harvester plugin broken.NotInTheJar in " + missing
                    + " was not loaded: ServiceConfigurationError: "), result.err());
            assertTrue(result.err().contains("Warning: Harvester plugin broken.Unsupported in " + unsupported
                    + " was not loaded: UnsupportedOperationException"), result.err());
        }

        Result needsIt = harvester(plugins, "source", "needs-it", "http://remote.example.org", "exploding");
        assertEquals(1, needsIt.code());
        assertTrue(needsIt.err().contains("broken.Exploding in " + exploding), needsIt.err());
        assertTrue(needsIt.err().contains("Validation error: source_type: Unknown harvester type: exploding"),
                needsIt.err());
    }

    @Test
    void theWorkingDirectoryIsNeverAPluginsFolder() {
        Optional<Path> located = PluginFolder.locate(null, null);

        assertEquals(PluginFolder.besideTheJar(), located);
        assertFalse(located.isPresent() && located.get().equals(Path.of("plugins")), String.valueOf(located));
        assertFalse(located.isPresent() && located.get().toAbsolutePath().getParent()
                .equals(Path.of("").toAbsolutePath()), "the tests run from classes, not from a jar: " + located);
    }

    @Test
    void theConfigurationFileCanNameThePluginsFolderRelativeToItself() throws IOException {
        Path plugins = ownerOnlyFolder("site-plugins");
        pluginJar(plugins, "working.jar", Map.of("fine.Working", harvester("fine.Working", "working", "")),
                List.of("fine.Working"));
        Files.writeString(config, "harvest.plugins.dir = site-plugins\n", java.nio.file.StandardOpenOption.APPEND);

        assertEquals(Optional.of(dir.resolve("site-plugins")), PluginFolder.locate(null, config));
        Result info = harvester(null, "harvesters_info");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("working\tT\tD"), info.out());
        Result overridden = harvester(dir.resolve("none"), "harvesters_info");
        assertFalse(overridden.out().contains("working"), "--plugins wins: " + overridden.out());
    }
}
