package dev.harvest.core.notify;

import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Clock;
import java.util.Date;
import java.util.Properties;

/**
 * Sends mails through the SMTP server of {@code smtp.server} with Jakarta Mail (Eclipse Angus): STARTTLS required
 * when {@code smtp.starttls} is true, login when {@code smtp.user} is set, and every connect, read and write bounded
 * by the configured timeouts, so that a mail server that does not answer cannot hold the mail thread for long.
 */
public final class SmtpMailTransport implements MailTransport {

    private final MailSettings settings;
    private final Session session;
    private final Clock clock;

    /**
     * @param settings the SMTP settings
     * @param clock the clock of the {@code Date} header
     */
    public SmtpMailTransport(MailSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        Properties properties = new Properties();
        properties.put("mail.transport.protocol", "smtp");
        properties.put("mail.smtp.host", settings.host());
        properties.put("mail.smtp.port", String.valueOf(settings.port()));
        properties.put("mail.smtp.connectiontimeout", String.valueOf(settings.connectTimeoutSeconds() * 1000));
        properties.put("mail.smtp.timeout", String.valueOf(settings.readTimeoutSeconds() * 1000));
        properties.put("mail.smtp.writetimeout", String.valueOf(settings.readTimeoutSeconds() * 1000));
        if (settings.startTls()) {
            properties.put("mail.smtp.starttls.enable", "true");
            properties.put("mail.smtp.starttls.required", "true");
        }
        Authenticator authenticator = null;
        if (settings.user() != null) {
            properties.put("mail.smtp.auth", "true");
            String password = settings.password() == null ? "" : settings.password();
            authenticator = new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication(settings.user(), password);
                }
            };
        }
        this.session = Session.getInstance(properties, authenticator);
    }

    @Override
    public void send(Recipient to, String subject, String body) throws Exception {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(settings.from()));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(to.email(), to.name(), "UTF-8"));
        message.setSubject(subject, "UTF-8");
        message.setText(body, "UTF-8");
        message.setSentDate(new Date(clock.millis()));
        message.setHeader("X-Mailer", "harvest");
        Transport.send(message);
    }
}
