package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -c production.ini}: a CKAN site's ini file runs harvest commands. */
class CkanIniCommandTest {

    @TempDir
    Path dir;

    CommandLogAppender console;

    /** The production console (logback.xml's), on the root logger, as in the shipped jar. */
    @BeforeEach
    void attachTheConsole() {
        LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        console = new CommandLogAppender();
        console.setContext(context);
        console.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(console);
    }

    @AfterEach
    void detachTheConsole() {
        LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(console);
        console.stop();
    }

    @Test
    void aCkanIniRunsCommandsAndWarnsOfTheCkanHarvestKeysItIgnores() throws Exception {
        Path ini = dir.resolve("production.ini");
        Files.writeString(ini, """
                [DEFAULT]
                debug = false

                [app:main]
                use = egg:ckan
                beaker.session.secret = not-harvest's
                sqlalchemy.url = postgresql://ckan_default:pass@localhost/ckan_default
                # harvest keeps its own database beside CKAN's
                harvest.db.url = jdbc:h2:mem:ini-%s
                ckan.site_id = portal1
                ckan.plugins = harvest ckan_harvester
                ckan.harvest.mq.type = memory
                ckan.harvest.timeout = 60
                ckan.harvest.mq.stale_check = 600
                smtp.server = localhost

                [server:main]
                use = egg:Paste#http
                port = 5000

                [formatter_generic]
                format = %%(asctime)s %%(levelname)-5.5s [%%(name)s] %%(message)s
                """.formatted(UUID.randomUUID()));

        CliRunner.Result result = CliRunner.onSite(ini, dir.resolve("none"), "source", "portal-x",
                "http://remote.example.org/", "ckan");

        assertEquals(0, result.code(), () -> result.out() + "\n" + result.err());
        assertTrue(result.err().contains("Ignoring a ckan.harvest key of the CKAN configuration file that harvest"
                + " does not read: ckan.harvest.mq.stale_check"), result::err);
    }
}
