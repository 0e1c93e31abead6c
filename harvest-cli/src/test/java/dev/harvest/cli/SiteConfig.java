package dev.harvest.cli;

import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** The lines of a test site's configuration file, and the file: a private H2 database or a fresh PostgreSQL schema. */
final class SiteConfig {

    private SiteConfig() {}

    /** An in-memory H2 database of its own, {@code jdbc:h2:mem:<prefix>-<uuid>}. */
    static String h2(String prefix) {
        return "harvest.db.url = jdbc:h2:mem:" + prefix + "-" + UUID.randomUUID() + "\n";
    }

    /** A new schema on the test PostgreSQL (the test is skipped when PostgreSQL is not required and is absent). */
    static String postgres() {
        ExternalServices.requirePostgres();
        return "harvest.db.url = " + ExternalServices.postgresJdbcUrl() + "?currentSchema="
                + TestDatabases.newPostgresSchema() + "\nharvest.db.user = " + ExternalServices.postgresUser() + "\n";
    }

    /** {@link #h2(String)} or {@link #postgres()} followed by {@code postgresSettings}, by kind. */
    static String database(TestDatabases.Kind kind, String h2Prefix, String postgresSettings) {
        return kind == TestDatabases.Kind.H2 ? h2(h2Prefix) : postgres() + postgresSettings;
    }

    /** Writes {@code content} to a new {@code harvest-<uuid>.<extension>} in {@code dir}. */
    static Path write(Path dir, String extension, String content) throws IOException {
        Path file = dir.resolve("harvest-" + UUID.randomUUID() + "." + extension);
        Files.writeString(file, content);
        return file;
    }
}
