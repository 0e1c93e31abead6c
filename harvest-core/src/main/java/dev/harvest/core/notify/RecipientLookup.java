package dev.harvest.core.notify;

import dev.harvest.api.HarvestSource;
import java.util.List;

/**
 * Who receives the notification mails of a source's jobs, besides the addresses of
 * {@code ckan.harvest.status_mail.recipients}.
 *
 * <p>ckanext-harvest mails every sysadmin and every admin of the source's organization that has an e-mail address
 * ({@code harvest_get_notifications_recipients}), plus what its {@code add_extra_notification_recipients} hook adds.
 * This engine has no users yet: an application that has them (a CKAN front end, say) passes its own lookup to
 * {@link dev.harvest.core.Harvest.Builder#notificationRecipients(RecipientLookup)}. The default adds nobody.
 *
 * <p>It is called on the mail thread, after the job's transaction committed, once per mail to send. An exception is
 * logged as the mail's failure; the job is not affected.
 */
@FunctionalInterface
public interface RecipientLookup {

    /**
     * @param source the source whose job finished
     * @return the recipients; an address that appears twice (here or in the configured list) gets one mail
     * @throws Exception if they cannot be looked up
     */
    List<Recipient> recipients(HarvestSource source) throws Exception;

    /** @return a lookup that adds nobody */
    static RecipientLookup none() {
        return source -> List.of();
    }
}
