package dev.harvest.core.auth;

import java.util.Locale;
import java.util.Optional;

/** A user's role in an organization, as CKAN's member capacities. */
public enum Capacity {
    /** edits the organization's sources and jobs, sees their secrets, receives their notification mails */
    ADMIN,
    /** edits the organization's sources and jobs */
    EDITOR,
    /** reads, as anyone */
    MEMBER;

    /** @return the value stored and shown: {@code admin}, {@code editor} or {@code member} */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param text {@code admin}, {@code editor} or {@code member}, in any case
     * @return the capacity, or empty for anything else
     */
    public static Optional<Capacity> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        for (Capacity capacity : values()) {
            if (capacity.value().equals(text.strip().toLowerCase(Locale.ROOT))) {
                return Optional.of(capacity);
            }
        }
        return Optional.empty();
    }
}
