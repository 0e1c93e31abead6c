package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spec §13 through the command line: a job's notification mail goes to the sysadmins and the source organization's
 * admins added with {@code harvester user}, whichever command finishes the job (here {@code run_test}), not only to
 * the configured addresses.
 */
class UserNotificationCommandTest {

    @RegisterExtension
    static final GreenMailExtension GREEN_MAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    @TempDir
    Path dir;

    private Path config;

    private String harvester(String... args) {
        CliRunner.Result result = CliRunner.onSite(config, dir.resolve("no-plugins"), args);
        assertEquals(0, result.code(),
                () -> String.join(" ", args) + "\nstdout: " + result.out() + "\nstderr: " + result.err());
        return result.out();
    }

    @Test
    void aJobMailGoesToTheSysadminsAndTheAdminsOfTheSourcesOrganizationButNotToItsEditors() throws Exception {
        config = dir.resolve("harvest.properties");
        Files.writeString(config, "harvest.db.url = jdbc:h2:file:" + dir.resolve("db-" + UUID.randomUUID())
                + "\nckan.harvest.mq.type = memory\nsmtp.server = 127.0.0.1:" + GREEN_MAIL.getSmtp().getPort()
                + "\nsmtp.mail_from = harvest@data.example.org\nckan.harvest.status_mail.all = true\n");
        harvester("user", "add", "root", "--email", "root@example.org", "--sysadmin");
        harvester("user", "add", "alice", "--email", "alice@example.org");
        harvester("user", "add", "bob", "--email", "bob@example.org");
        harvester("user", "add", "carol", "--email", "carol@example.org");
        try (var harvest = dev.harvest.core.Harvest.builder(dev.harvest.core.config.HarvestConfig.load(config))
                .build()) {
            for (String org : List.of("water", "air")) {
                harvest.catalog().createGroup(dev.harvest.api.catalog.GroupKind.ORGANIZATION,
                        new dev.harvest.api.catalog.CatalogGroup(java.util.Map.of("id", org + "-id", "name", org)));
            }
        }
        harvester("user", "org", "alice", "water", "admin");
        harvester("user", "org", "bob", "water", "editor");
        harvester("user", "org", "carol", "air", "admin");
        harvester("source", "create", "src", "http://a.example.org", "scripted", "A title", "yes", "water",
                "MANUAL", "{\"guids\": [\"x\"]}");

        harvester("run_test", "src");

        List<String> to = new ArrayList<>();
        for (MimeMessage mail : GREEN_MAIL.getReceivedMessages()) {
            Arrays.stream(mail.getRecipients(Message.RecipientType.TO)).map(Address::toString).forEach(to::add);
        }
        assertEquals(List.of("alice <alice@example.org>", "root <root@example.org>"), to.stream().sorted().toList());
    }
}
