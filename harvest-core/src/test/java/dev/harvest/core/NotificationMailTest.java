package dev.harvest.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.api.SettingDefinition;
import dev.harvest.core.config.ConfigException;
import dev.harvest.core.notify.JobNotifier;
import dev.harvest.core.notify.Recipient;
import dev.harvest.core.notify.RecipientLookup;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * ckanext-harvest's notification mails (spec §13) against real SMTP servers started by the tests: GreenMail, which
 * accepts everything; SubEthaSMTP, set to reject every message; a port nobody listens on; a server that never
 * answers. Mails are sent on a mail thread after the job's commit; closing the engine waits for them, so the tests
 * close it before looking at the mailbox.
 */
class NotificationMailTest {

    @RegisterExtension
    static final GreenMailExtension GREEN_MAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    private static final String CONFIG = "{\"guids\": [\"a\", \"b\", \"c\"], \"fail_import\": \"b\","
            + " \"api_key\": \"s3cret\"}";

    private final MutableClock clock = new MutableClock();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Harvest harvest;

    @BeforeEach
    void captureLog() {
        clock.set(Instant.parse("2026-06-01T10:00:00.123456Z"));
        log.start();
        ((Logger) LoggerFactory.getLogger(JobNotifier.class)).addAppender(log);
    }

    @AfterEach
    void close() {
        closeHarvest();
        ((Logger) LoggerFactory.getLogger(JobNotifier.class)).detachAppender(log);
    }

    private void closeHarvest() {
        if (harvest != null) {
            harvest.close();
            harvest = null;
        }
    }

    private Map<String, String> mailSettings(String server, String... more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "smtp.server", server,
                "smtp.mail_from", "harvest@data.example.org",
                "ckan.site_url", "https://data.example.org",
                "ckan.site_title", "Example Portal",
                "ckan.harvest.status_mail.recipients", "ops@example.org, Data Team <data@example.org>, OPS@example.org",
                "harvest.mail.connect_timeout", "2",
                "harvest.mail.read_timeout", "2",
                "harvest.db.pool_size", "3"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    private String greenMail() {
        return "127.0.0.1:" + GREEN_MAIL.getSmtp().getPort();
    }

    private Harvest open(Kind kind, Map<String, String> settings, RecipientLookup lookup) {
        harvest = Harvest.builder(TestDatabases.config(kind, settings))
                .discoverHarvesters(false)
                .harvester(new ScriptedHarvester())
                .queue(new InMemoryHarvestQueue("mail-test"))
                .clock(clock)
                .notificationRecipients(lookup)
                .build();
        return harvest;
    }

    private HarvestSource source(String config, String ownerOrg) {
        return harvest.createSource(new SourceRequest("portal", "http://remote.example.org/", ScriptedHarvester.NAME,
                "Remote Portal", true, ownerOrg, "MANUAL", config));
    }

    /** The text of a received mail, with the newline line ends it was written with (SMTP sends CRLF). */
    private static String body(MimeMessage message) throws Exception {
        return ((String) message.getContent()).replace("\r\n", "\n").stripTrailing() + "\n";
    }

    /** @return the To address of every mail received, sorted */
    private static List<String> recipients() throws Exception {
        List<String> all = new java.util.ArrayList<>();
        for (MimeMessage mail : GREEN_MAIL.getReceivedMessages()) {
            Arrays.stream(mail.getRecipients(Message.RecipientType.TO)).map(Address::toString).forEach(all::add);
        }
        return all.stream().sorted().toList();
    }

    private List<String> warnings() {
        return log.list.stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aJobWithErrorsSendsTheErrorMailOnceToEachRecipientWithCkanextHarvestsSubjectAndBody(Kind kind)
            throws Exception {
        open(kind, mailSettings(greenMail(), "ckan.harvest.status_mail.errored", "true"), RecipientLookup.none());
        harvest.catalog().createGroup(GroupKind.ORGANIZATION,
                new CatalogGroup(Map.of("id", "org-1", "name", "statistics-office")));
        HarvestSource source = source(CONFIG, "statistics-office");

        JobReport report = harvest.runTest("portal");
        closeHarvest();

        assertEquals("Finished", report.job().status());
        MimeMessage[] mails = GREEN_MAIL.getReceivedMessages();
        assertEquals(List.of("Data Team <data@example.org>", "ops@example.org"), recipients(),
                "one mail per address; OPS@example.org is ops@example.org");
        String job = report.job().id();
        for (MimeMessage mail : mails) {
            assertEquals("Example Portal - Harvesting Job - Error Notification", mail.getSubject());
            assertEquals("harvest@data.example.org", mail.getFrom()[0].toString());
            assertEquals("""
                    This is a failure notification of the latest harvest job set-up in https://data.example.org.
                    Job URL: https://data.example.org/harvest/%s/job/%s

                    Harvest Source: Remote Portal
                    Harvest Configuration: {"guids":["a","b","c"],"fail_import":"b","api_key":"********"}
                    Organization: statistics-office

                    Harvest Job Id: %s
                    Created: 2026-06-01T10:00:00.123456
                    Finished: 2026-06-01T10:00:00.123456

                    Records in Error: 1
                    Records Added: 2
                    Records Updated: 0
                    Records Deleted: 0

                    Error Summary: 1 errors

                    Job Errors: 0
                    Document Error: 1
                        - Invalid package with GUID b: title missing
                    --
                    You are receiving this email because you are currently set-up as Administrator for https://data.example.org.
                    Please do not reply to this email as it was sent from a non-monitored address.
                    """.formatted(source.id(), job, job), body(mail));
        }
        assertEquals(List.of(), warnings());
    }

    @Test
    void aJobWithoutErrorsSendsTheSummaryMailWithStatusMailAllAndNothingWithStatusMailErroredAlone() throws Exception {
        open(Kind.H2, mailSettings(greenMail(), "ckan.harvest.status_mail.errored", "true"), RecipientLookup.none());
        source("{\"guids\": [\"a\"]}", null);
        harvest.runTest("portal");
        closeHarvest();
        assertEquals(0, GREEN_MAIL.getReceivedMessages().length, "no errors, and status_mail.all is off");

        open(Kind.H2, mailSettings(greenMail(), "ckan.harvest.status_mail.all", "true",
                "ckan.harvest.status_mail.recipients", "ops@example.org"), RecipientLookup.none());
        HarvestSource source = source("{\"guids\": [\"a\"]}", null);
        JobReport report = harvest.runTest("portal");
        closeHarvest();

        MimeMessage[] mails = GREEN_MAIL.getReceivedMessages();
        assertEquals(1, mails.length);
        assertEquals("Example Portal - Harvesting Job Successful - Summary Notification", mails[0].getSubject());
        assertEquals("""
                This is a summary of the latest harvest job set-up in https://data.example.org.
                Job URL: https://data.example.org/harvest/%s/job/%s

                Harvest Source: Remote Portal
                Harvest Configuration: {"guids":["a"]}

                Organization: Not specified

                Harvest Job Id: %s
                Created: 2026-06-01T10:00:00.123456
                Finished: 2026-06-01T10:00:00.123456

                Records in Error: 0
                Records Added: 1
                Records Updated: 0
                Records Deleted: 0

                Error Summary: 0 errors
                Job Errors: 0

                Document Error: 0

                --
                You are receiving this email because you are currently set-up as Administrator for https://data.example.org.
                Please do not reply to this email as it was sent from a non-monitored address.
                """.formatted(source.id(), report.job().id(), report.job().id()), body(mails[0]));
    }

    @Test
    void aRecipientLookupAddsRecipientsSuchAsOrganizationAdminsBesidesTheConfiguredOnes() throws Exception {
        RecipientLookup admins = source -> List.of(new Recipient("Org Admin", "admin@example.org"),
                new Recipient(null, "ops@example.org"));
        open(Kind.H2, mailSettings(greenMail(), "ckan.harvest.status_mail.all", "true",
                "ckan.harvest.status_mail.recipients", "ops@example.org"), admins);
        source("{\"guids\": [\"a\"]}", null);

        harvest.runTest("portal");
        closeHarvest();

        assertEquals(List.of("Org Admin <admin@example.org>", "ops@example.org"), recipients(),
                "the configured address and the lookup's, ops@example.org once");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aTimedOutJobSendsTheErrorMailWithTheTimeoutAndAnAbortedJobSendsNone(Kind kind) throws Exception {
        open(kind, mailSettings(greenMail(), "ckan.harvest.status_mail.all", "true",
                "ckan.harvest.status_mail.recipients", "ops@example.org", "ckan.harvest.timeout", "60"),
                RecipientLookup.none());
        HarvestSource source = source("{\"guids\": [\"a\"]}", null);
        HarvestJob aborted = harvest.createJob(source.id(), true);
        harvest.abortJob(aborted.id());
        HarvestJob stuck = harvest.createJob(source.id(), true); // Running; no consumer ever gathers it
        clock.advance(Duration.ofMinutes(61));

        assertEquals(1, harvest.run().timedOut());
        closeHarvest();

        MimeMessage[] mails = GREEN_MAIL.getReceivedMessages();
        assertEquals(1, mails.length, "the aborted job is not mailed");
        assertEquals("Example Portal - Harvesting Job - Error Notification", mails[0].getSubject());
        String body = body(mails[0]);
        assertTrue(body.contains("Harvest Job Id: " + stuck.id() + "\n"), body);
        assertTrue(body.contains("Job Errors: 1\n    - Job " + stuck.id() + " timeout (60 minutes)"), body);
    }

    @Test
    void aRefusedConnectionIsOneWarningAndTheJobStillFinishes() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        open(Kind.H2, mailSettings("127.0.0.1:" + closedPort, "ckan.harvest.status_mail.all", "true",
                "ckan.harvest.status_mail.recipients", "ops@example.org"), RecipientLookup.none());
        source(CONFIG, null);

        JobReport report = harvest.runTest("portal");
        closeHarvest();

        assertEquals("Finished", report.job().status());
        List<String> warnings = warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("Sending Harvest-Notification-Mail of job " + report.job().id()
                + " to ops@example.org failed: MailConnectException"), warnings.get(0));
        assertTrue(warnings.get(0).contains("Connection refused"), warnings.get(0));
        assertTrue(!warnings.get(0).contains("\n"));
    }

    @Test
    void aServerThatRejectsTheMessageIsOneWarningPerRecipientAndTheJobStillFinishes() throws Exception {
        SMTPServer rejecting = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress())
                .messageHandlerFactory((MessageContext context) -> new MessageHandler() {
                    @Override
                    public void from(String from) {}

                    @Override
                    public void recipient(String recipient) {}

                    @Override
                    public String data(InputStream data) throws RejectException {
                        throw new RejectException(554, "5.7.1 Message rejected: no harvest reports here");
                    }

                    @Override
                    public void done() {}
                })
                .build();
        rejecting.start();
        try {
            open(Kind.H2, mailSettings("127.0.0.1:" + rejecting.getPortAllocated(),
                    "ckan.harvest.status_mail.errored", "true"), RecipientLookup.none());
            source(CONFIG, null);

            JobReport report = harvest.runTest("portal");
            closeHarvest();

            assertEquals("Finished", report.job().status());
            assertEquals(1, report.stats().count("errored"));
            List<String> warnings = warnings();
            assertEquals(2, warnings.size(), "ops@ and data@: " + warnings);
            for (String warning : warnings) {
                assertTrue(warning.contains("554 5.7.1 Message rejected: no harvest reports here"), warning);
            }
        } finally {
            rejecting.stop();
        }
    }

    @Test
    void aServerThatNeverAnswersIsGivenUpAfterTheReadTimeoutWithoutHoldingTheJob() throws Exception {
        // a listening socket nobody accepts from: the connection is made, the greeting never comes
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            open(Kind.H2, mailSettings("127.0.0.1:" + silent.getLocalPort(), "ckan.harvest.status_mail.all", "true",
                    "ckan.harvest.status_mail.recipients", "ops@example.org", "harvest.mail.read_timeout", "1"),
                    RecipientLookup.none());
            source("{\"guids\": [\"a\"]}", null);

            JobReport report = harvest.runTest("portal");
            assertEquals("Finished", report.job().status(), "the job finished while its mail was still pending");
            long closing = System.nanoTime();
            closeHarvest();
            long closeSeconds = Duration.ofNanos(System.nanoTime() - closing).toSeconds();

            assertTrue(closeSeconds < 10, "closing waited " + closeSeconds + " s");
            List<String> warnings = warnings();
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("Read timed out"), warnings.get(0));
        }
    }

    @Test
    void badMailSettingsAreRefusedBeforeAnythingOpensNamingEachKey() {
        ConfigException bad = assertThrows(ConfigException.class, () -> open(Kind.H2, mailSettings("mail:99999",
                "smtp.starttls", "maybe", "ckan.harvest.status_mail.recipients", "ops@example.org, not an address",
                "harvest.mail.read_timeout", "0"), RecipientLookup.none()));

        assertEquals("Invalid configuration: smtp.starttls: must be true or false, not 'maybe';"
                + " ckan.harvest.status_mail.recipients: 'not an address' is not an e-mail address"
                + " (Local address contains control or whitespace); smtp.server: must be host or host:port"
                + " (port 1 to 65535), not 'mail:99999'; harvest.mail.read_timeout: must be a number of seconds,"
                + " at least 1, not '0'", bad.getMessage());
    }

    @Test
    void everyMailKeyIsDeclaredWithItsDefaultForConfigList() {
        Map<String, String> declared = Harvest.declaredSettings(getClass().getClassLoader()).all().stream()
                .map(dev.harvest.core.config.SettingDeclarations.Declared::definition)
                .collect(Collectors.toMap(SettingDefinition::key,
                        definition -> String.valueOf(definition.defaultValue())));

        assertEquals("localhost", declared.get("smtp.server"));
        assertEquals("false", declared.get("smtp.starttls"));
        assertEquals("null", declared.get("smtp.user"));
        assertEquals("null", declared.get("smtp.password"));
        assertEquals("harvest@localhost", declared.get("smtp.mail_from"));
        assertEquals("null", declared.get("ckan.harvest.status_mail.recipients"));
        assertEquals("10", declared.get("harvest.mail.connect_timeout"));
        assertEquals("30", declared.get("harvest.mail.read_timeout"));
        assertEquals("false", declared.get("ckan.harvest.status_mail.errored"));
        assertEquals("false", declared.get("ckan.harvest.status_mail.all"));
    }
}
