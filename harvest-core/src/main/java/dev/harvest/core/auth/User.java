package dev.harvest.core.auth;

import java.time.LocalDateTime;

/**
 * A user of {@code harvester serve}: the action API and the web pages.
 *
 * @param id the user's id
 * @param name the unique login name
 * @param email where notification mails go, or null
 * @param sysadmin whether every action is allowed
 * @param created when the user was added (UTC)
 */
public record User(String id, String name, String email, boolean sysadmin, LocalDateTime created) {}
