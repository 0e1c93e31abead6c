package dev.harvest.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code harvester} in a JVM of its own, on the tests' class path, as an operator's supervisor would start it. */
final class HarvesterProcesses {

    private HarvesterProcesses() {}

    /** The class path surefire gives the tests (the test JVM's own outside surefire). */
    static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** The {@code java} program of the running JVM. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts {@code harvester --config config --plugins plugins command...} with {@code jvmOptions} (a heap bound at
     * least), its standard output and error together in {@code log}.
     */
    static Process launch(List<String> jvmOptions, Path config, Path plugins, Path log, String... command)
            throws IOException {
        List<String> args = new ArrayList<>();
        args.add(java());
        args.addAll(jvmOptions);
        args.addAll(List.of("-cp", classPath(), HarvesterCommand.class.getName(), "--config", config.toString(),
                "--plugins", plugins.toString()));
        args.addAll(List.of(command));
        return new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
