package dev.harvest.core.notify;

import dev.harvest.api.Settings;
import dev.harvest.core.config.ConfigException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The notification mail settings: when to mail ({@code ckan.harvest.status_mail.*}), to whom, and the SMTP server
 * with CKAN's key names ({@code smtp.*}).
 *
 * @param errored {@code ckan.harvest.status_mail.errored}: mail jobs that finished with errors
 * @param all {@code ckan.harvest.status_mail.all}: mail every finished job
 * @param recipients {@code ckan.harvest.status_mail.recipients}, parsed
 * @param host the SMTP host of {@code smtp.server}
 * @param port the SMTP port of {@code smtp.server} (25 when not given)
 * @param startTls {@code smtp.starttls}: require STARTTLS
 * @param user {@code smtp.user}, or null for no authentication
 * @param password {@code smtp.password}, or null
 * @param from {@code smtp.mail_from}
 * @param connectTimeoutSeconds {@code harvest.mail.connect_timeout}
 * @param readTimeoutSeconds {@code harvest.mail.read_timeout}, for each read and write on the connection
 * @param siteUrl {@code ckan.site_url}, or the empty string
 * @param siteTitle {@code ckan.site_title}
 */
public record MailSettings(boolean errored, boolean all, List<Recipient> recipients, String host, int port,
        boolean startTls, String user, String password, String from, int connectTimeoutSeconds,
        int readTimeoutSeconds, String siteUrl, String siteTitle) {

    /** @return whether any job is ever mailed */
    public boolean enabled() {
        return errored || all;
    }

    /**
     * Reads and checks the settings, reporting every bad value at once.
     *
     * @param settings the site settings (with the engine's declared defaults)
     * @return the settings
     * @throws ConfigException naming each bad key
     */
    public static MailSettings from(Settings settings) {
        List<String> problems = new ArrayList<>();
        boolean errored = bool(settings, "ckan.harvest.status_mail.errored", problems);
        boolean all = bool(settings, "ckan.harvest.status_mail.all", problems);
        boolean startTls = bool(settings, "smtp.starttls", problems);
        List<Recipient> recipients = new ArrayList<>();
        for (String address : settings.get("ckan.harvest.status_mail.recipients", "").split(",")) {
            if (address.isBlank()) {
                continue;
            }
            try {
                InternetAddress parsed = new InternetAddress(address.strip(), true);
                recipients.add(new Recipient(parsed.getPersonal(), parsed.getAddress()));
            } catch (AddressException e) {
                problems.add("ckan.harvest.status_mail.recipients: '" + address.strip()
                        + "' is not an e-mail address (" + e.getMessage() + ")");
            }
        }
        String server = settings.get("smtp.server", "localhost").strip();
        String host = server;
        int port = 25;
        int colon = server.lastIndexOf(':');
        if (colon >= 0 && server.indexOf(':') == colon) {
            host = server.substring(0, colon);
            port = integer(server.substring(colon + 1), 1, 65535);
            if (port < 0 || host.isBlank()) {
                problems.add("smtp.server: must be host or host:port (port 1 to 65535), not '" + server + "'");
            }
        }
        int connect = integer(settings.get("harvest.mail.connect_timeout", "10"), 1, Integer.MAX_VALUE / 1000);
        if (connect < 0) {
            problems.add("harvest.mail.connect_timeout: must be a number of seconds, at least 1, not '"
                    + settings.get("harvest.mail.connect_timeout", "") + "'");
        }
        int read = integer(settings.get("harvest.mail.read_timeout", "30"), 1, Integer.MAX_VALUE / 1000);
        if (read < 0) {
            problems.add("harvest.mail.read_timeout: must be a number of seconds, at least 1, not '"
                    + settings.get("harvest.mail.read_timeout", "") + "'");
        }
        String from = settings.get("smtp.mail_from", "harvest@localhost").strip();
        try {
            new InternetAddress(from, true);
        } catch (AddressException e) {
            problems.add("smtp.mail_from: '" + from + "' is not an e-mail address (" + e.getMessage() + ")");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("Invalid configuration: " + String.join("; ", problems));
        }
        return new MailSettings(errored, all, List.copyOf(distinct(recipients)), host, port, startTls,
                settings.get("smtp.user").filter(u -> !u.isBlank()).orElse(null),
                settings.get("smtp.password").orElse(null), from, connect, read,
                settings.get("ckan.site_url", ""), settings.get("ckan.site_title", "CKAN"));
    }

    /** @return the recipients without a second mail to the same address (compared without case) */
    static List<Recipient> distinct(List<Recipient> recipients) {
        Map<String, Recipient> byAddress = new LinkedHashMap<>();
        for (Recipient recipient : recipients) {
            byAddress.putIfAbsent(recipient.email().toLowerCase(Locale.ROOT), recipient);
        }
        return new ArrayList<>(byAddress.values());
    }

    private static boolean bool(Settings settings, String key, List<String> problems) {
        String value = settings.get(key, "false").strip();
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (!value.equalsIgnoreCase("false")) {
            problems.add(key + ": must be true or false, not '" + value + "'");
        }
        return false;
    }

    /** @return the value, or -1 if it is not an integer within the bounds */
    private static int integer(String text, int min, int max) {
        try {
            int value = Integer.parseInt(text.strip());
            return value < min || value > max ? -1 : value;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String toString() {
        // never the password
        return "MailSettings[errored=" + errored + ", all=" + all + ", recipients=" + recipients + ", server=" + host
                + ":" + port + ", startTls=" + startTls + ", user=" + user + ", from=" + from + "]";
    }
}
