package dev.harvest.core.auth;

import java.util.Map;
import java.util.Optional;

/**
 * Who calls an action: anonymous, or a user with its organization memberships. The authorization rules of spec
 * §5.1 ask it what it may do.
 */
public final class Actor {

    private static final Actor ANONYMOUS = new Actor(null, Map.of());

    private final User user;
    private final Map<String, Capacity> memberships;

    private Actor(User user, Map<String, Capacity> memberships) {
        this.user = user;
        this.memberships = Map.copyOf(memberships);
    }

    /** @return a caller without a token */
    public static Actor anonymous() {
        return ANONYMOUS;
    }

    /**
     * @param user the user
     * @param memberships the user's capacity per organization id
     * @return that user as a caller
     */
    public static Actor of(User user, Map<String, Capacity> memberships) {
        return new Actor(java.util.Objects.requireNonNull(user, "user"), memberships);
    }

    /** @return the user, or empty for an anonymous caller */
    public Optional<User> user() {
        return Optional.ofNullable(user);
    }

    /** @return whether no user is logged in */
    public boolean isAnonymous() {
        return user == null;
    }

    /** @return whether the caller is a sysadmin, to whom every action is allowed */
    public boolean isSysadmin() {
        return user != null && user.sysadmin();
    }

    /** @return the user's name as messages show it; {@code anonymous} when nobody is logged in */
    public String displayName() {
        return user == null ? "anonymous" : user.name();
    }

    /** @return the capacity per organization id */
    public Map<String, Capacity> memberships() {
        return memberships;
    }

    /**
     * @param organizationId an organization id, or null for none
     * @return whether the caller may edit what that organization owns: a sysadmin, or its admin or editor.
     *     Nothing without an organization is editable but by sysadmins.
     */
    public boolean canEdit(String organizationId) {
        if (isSysadmin()) {
            return true;
        }
        Capacity capacity = organizationId == null ? null : memberships.get(organizationId);
        return capacity == Capacity.ADMIN || capacity == Capacity.EDITOR;
    }

    /**
     * @param organizationId an organization id, or null for none
     * @return whether the caller sees the secrets in the configs that organization owns: a sysadmin or its admin
     */
    public boolean canSeeSecrets(String organizationId) {
        return isSysadmin() || organizationId != null && memberships.get(organizationId) == Capacity.ADMIN;
    }
}
