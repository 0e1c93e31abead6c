package dev.harvest.core.notify;

import java.util.Objects;

/**
 * Someone who receives notification mails.
 *
 * @param name a display name, or null
 * @param email the address
 */
public record Recipient(String name, String email) {

    /**
     * Requires the address.
     *
     * @param name a display name, or null
     * @param email the address
     */
    public Recipient {
        Objects.requireNonNull(email, "email");
    }
}
