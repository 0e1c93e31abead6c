package dev.harvest.core.auth;

import dev.harvest.api.HarvestSource;
import dev.harvest.core.notify.Recipient;
import dev.harvest.core.notify.RecipientLookup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Spec §13's recipients of a source's notification mails: every sysadmin with an email address, then the admins of
 * the source's organization with one ({@code harvest_get_notifications_recipients}). The store is attached once the
 * engine is built, since the engine opens the database the users live in.
 */
public final class UserRecipients implements RecipientLookup {

    private final AtomicReference<UserStore> users = new AtomicReference<>();

    /** @param store the users, once the engine's database is open */
    public void attach(UserStore store) {
        users.set(store);
    }

    @Override
    public List<Recipient> recipients(HarvestSource source) {
        UserStore store = users.get();
        return store == null ? List.of() : of(store, source.ownerOrg());
    }

    /**
     * @param store the users
     * @param organizationId the source's organization, or null
     * @return sysadmins first, then organization admins; as the original, a user in both is listed twice
     */
    public static List<Recipient> of(UserStore store, String organizationId) {
        List<Recipient> recipients = new ArrayList<>();
        store.sysadminsWithEmail().forEach(user -> recipients.add(new Recipient(user.name(), user.email())));
        if (organizationId != null) {
            store.adminsWithEmail(organizationId)
                    .forEach(user -> recipients.add(new Recipient(user.name(), user.email())));
        }
        return recipients;
    }
}
