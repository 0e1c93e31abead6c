package dev.harvest.core.notify;

/** Sends one plain-text mail. {@link SmtpMailTransport} is the real one; tests may record instead. */
@FunctionalInterface
public interface MailTransport {

    /**
     * @param to the recipient
     * @param subject the subject
     * @param body the plain-text body
     * @throws Exception if the mail could not be handed to the mail server
     */
    void send(Recipient to, String subject, String body) throws Exception;
}
