package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Harvester jars dropped into the plugins folder are discovered with ServiceLoader. */
class PluginFolderTest {

    @TempDir
    Path dir;

    @Test
    void aHarvesterJarInThePluginsFolderIsDiscovered() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        String className = FolderPluginHarvester.class.getName();
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(plugins.resolve("folder-plugin.jar")))) {
            jar.putNextEntry(new JarEntry("META-INF/services/dev.harvest.api.Harvester"));
            jar.write((className + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
            String classFile = className.replace('.', '/') + ".class";
            jar.putNextEntry(new JarEntry(classFile));
            try (var in = FolderPluginHarvester.class.getClassLoader().getResourceAsStream(classFile)) {
                in.transferTo(jar);
            }
            jar.closeEntry();
        }
        Path config = dir.resolve("harvest.properties");
        Files.writeString(config, "harvest.db.url = jdbc:h2:mem:plugins-" + UUID.randomUUID() + "\n");

        String withPlugins = harvestersInfo(config, plugins);
        String withoutPlugins = harvestersInfo(config, dir.resolve("empty"));

        assertTrue(withPlugins.contains("folder-plugin\tFolder plugin\tLoaded from a jar in the plugins folder"),
                withPlugins);
        assertFalse(withoutPlugins.contains("folder-plugin"), withoutPlugins);
    }

    private static String harvestersInfo(Path config, Path plugins) {
        StringWriter out = new StringWriter();
        int code = HarvesterCommand.execute(new String[] {"-c", config.toString(), "--plugins", plugins.toString(),
                "harvesters_info"}, new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertEquals(0, code);
        return out.toString();
    }
}
