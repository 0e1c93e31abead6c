package dev.harvest.cli;

import dev.harvest.core.HarvestException;
import dev.harvest.core.Plugins;
import dev.harvest.core.config.HarvestConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the command line loads plugin jars from, and the checks that keep anyone else from planting one there.
 *
 * <p>The folder is the one given with {@code --plugins}, else {@value #DIR_SETTING} in the configuration file
 * (relative to the file's folder), else {@code plugins/} beside the running {@code harvester.jar}. Never the working
 * directory: a command run from a folder another user can write to must not run that user's code.
 *
 * <p>Plugins run with the rights of the program, often a service account or root. So the folder and every jar in it
 * must be writable by their owner only (no group or other write permission), and owned by root or by the user running
 * the command; anything else is refused with one message naming the path, before any plugin code runs. On a file
 * system without POSIX permissions the checks are skipped.
 */
final class PluginFolder {

    /** Configuration key: the plugins folder when {@code --plugins} is not given. */
    static final String DIR_SETTING = "harvest.plugins.dir";

    private PluginFolder() {}

    /**
     * @param option the {@code --plugins} value, or null
     * @param configFile the {@code --config} file, or null
     * @return the plugins folder, or empty when there is none to look in
     */
    static Optional<Path> locate(Path option, Path configFile) {
        if (option != null) {
            return Optional.of(option);
        }
        if (configFile != null && Files.isRegularFile(configFile)) {
            Optional<String> configured = HarvestConfig.load(configFile).get(DIR_SETTING).filter(v -> !v.isBlank());
            if (configured.isPresent()) {
                Path dir = Path.of(configured.get().strip());
                Path base = configFile.toAbsolutePath().getParent();
                return Optional.of(dir.isAbsolute() || base == null ? dir : base.resolve(dir));
            }
        }
        return besideTheJar();
    }

    /** @return {@code plugins/} in the folder of the running jar, when running from a jar */
    static Optional<Path> besideTheJar() {
        try {
            var source = HarvesterCommand.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path location = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(location) || !location.toString().endsWith(".jar")) {
                return Optional.empty();
            }
            Path parent = location.toAbsolutePath().getParent();
            return parent == null ? Optional.empty() : Optional.of(parent.resolve("plugins"));
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The class loader of the jars in the plugins folder, after checking who can write them; the application's own
     * when there is no folder. The plugins that fail to load are printed, one warning line each, so that a command
     * that needs one says why it is missing, and the others work.
     *
     * @param root the top command, with {@code --plugins} and {@code --config}
     * @param err where the warnings go
     * @return the class loader
     * @throws HarvestException naming a folder or jar that others can write, or that another user owns
     */
    static ClassLoader classLoader(HarvesterCommand root, PrintWriter err) {
        ClassLoader loader = classLoader(locate(root.pluginsDir, root.config));
        if (loader != HarvesterCommand.class.getClassLoader()) {
            for (Plugins.Failure failure : Plugins.discover(loader, true).failures()) {
                err.println("Warning: " + failure.describe());
            }
            err.flush();
        }
        return loader;
    }

    /**
     * @param dir the plugins folder, if any
     * @return the class loader of its jars, or the application's
     * @throws HarvestException naming a folder or jar that others can write, or that another user owns
     */
    static ClassLoader classLoader(Optional<Path> dir) {
        if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
            return HarvesterCommand.class.getClassLoader();
        }
        Path folder = dir.get();
        checkTrusted(folder, "plugins folder");
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                checkTrusted(jar, "plugin jar");
                jars.add(jar.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new HarvestException("Bad plugin jar path: " + e.getMessage());
        } catch (IOException e) {
            throw new HarvestException("Cannot read the plugins folder " + folder + ": " + e.getMessage());
        }
        if (jars.isEmpty()) {
            return HarvesterCommand.class.getClassLoader();
        }
        return new URLClassLoader(jars.toArray(URL[]::new), HarvesterCommand.class.getClassLoader());
    }

    /**
     * Refuses a path that a user other than its owner may write, or that belongs to someone other than root or the
     * user running this program.
     *
     * @param path a plugins folder or jar (links are followed: what counts is what gets loaded)
     * @param what {@code plugins folder} or {@code plugin jar}, for the message
     * @throws HarvestException naming the path and what is wrong with it
     */
    static void checkTrusted(Path path, String what) {
        if (Files.getFileAttributeView(path, PosixFileAttributeView.class) == null) {
            return;
        }
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, PosixFileAttributes.class);
        } catch (IOException | UnsupportedOperationException e) {
            throw new HarvestException("Cannot check the " + what + " " + path + ": " + e.getMessage());
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        boolean groupWrites = permissions.contains(PosixFilePermission.GROUP_WRITE);
        boolean othersWrite = permissions.contains(PosixFilePermission.OTHERS_WRITE);
        if (groupWrites || othersWrite) {
            throw new HarvestException("Refusing the " + what + " " + path + ": it is writable by "
                    + (othersWrite ? "other users" : "its group") + " (" + PosixFilePermissions.toString(permissions)
                    + "), and plugins run with this program's rights; make it writable by its owner only (chmod go-w "
                    + path + ")");
        }
        String owner = attributes.owner().getName();
        String user = System.getProperty("user.name", "");
        if (!owner.equals("root") && !owner.equals(user)) {
            throw new HarvestException("Refusing the " + what + " " + path + ": it is owned by " + owner
                    + ", not by root or by " + user + ", who runs this program");
        }
    }
}
