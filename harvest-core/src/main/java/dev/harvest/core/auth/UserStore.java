package dev.harvest.core.auth;

import dev.harvest.core.HarvestException;
import dev.harvest.core.db.JdbcReads;
import dev.harvest.core.db.HarvestDatabase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Users, their organization memberships and their API tokens, in the harvest database (tables
 * {@code harvest_user}, {@code harvest_user_membership}, {@code harvest_api_token}). A token is 32 random bytes
 * from {@link SecureRandom}; only its SHA-256 is stored, so a token lost is revoked and created again, never shown
 * again.
 */
public final class UserStore {

    /** What a token's text starts with, so that it is recognisable in a configuration or a leak scanner. */
    public static final String TOKEN_PREFIX = "hvt_";

    /** How stale {@code last_used} may get before a request writes it again: not a write per request. */
    private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource dataSource;
    private final Clock clock;

    /**
     * @param database the harvest database (its schema has the user tables from changeset 8)
     * @param clock the clock of creation and last-use times
     */
    public UserStore(HarvestDatabase database, Clock clock) {
        this.dataSource = database.dataSource();
        this.clock = clock;
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock);
    }

    /**
     * Adds a user.
     *
     * @param name 2 to 100 lowercase letters, digits, {@code -} and {@code _}
     * @param email an address for notification mails, or null
     * @param sysadmin whether every action is allowed to the user
     * @return the user
     * @throws HarvestException if the name is bad or taken
     */
    public User addUser(String name, String email, boolean sysadmin) {
        String wanted = name == null ? "" : name.strip();
        if (!wanted.matches("[a-z0-9_-]{2,100}")) {
            throw new HarvestException("A user name is 2 to 100 lowercase letters, digits, - and _, not '" + name
                    + "'");
        }
        if (findUser(wanted).isPresent()) {
            throw new HarvestException("User " + wanted + " already exists");
        }
        User user = new User(UUID.randomUUID().toString(), wanted, email == null || email.isBlank() ? null
                : email.strip(), sysadmin, now());
        update("insert into harvest_user (id, name, email, sysadmin, created) values (?, ?, ?, ?, ?)",
                user.id(), user.name(), user.email(), user.sysadmin(), Timestamp.valueOf(user.created()));
        return user;
    }

    /**
     * @param idOrName a user's id or name
     * @return the user
     */
    public Optional<User> findUser(String idOrName) {
        if (idOrName == null) {
            return Optional.empty();
        }
        List<User> found = users("where id = ? or name = ?", idOrName.strip(), idOrName.strip());
        return found.stream().filter(u -> u.id().equals(idOrName.strip())).findFirst()
                .or(() -> found.stream().findFirst());
    }

    /**
     * @param idOrName a user's id or name
     * @return the user
     * @throws HarvestException {@code User <x> not found.}
     */
    public User user(String idOrName) {
        return findUser(idOrName).orElseThrow(() -> new HarvestException("User <" + idOrName + "> not found."));
    }

    /** @return every user, by name */
    public List<User> listUsers() {
        return users("order by name");
    }

    /**
     * Sets a user's capacity in an organization, replacing any earlier one.
     *
     * @param userIdOrName the user
     * @param organizationId the organization's id in the catalog
     * @param capacity the capacity
     */
    public void setMembership(String userIdOrName, String organizationId, Capacity capacity) {
        User user = user(userIdOrName);
        inTransaction(connection -> {
            execute(connection, "delete from harvest_user_membership where user_id = ? and organization_id = ?",
                    user.id(), organizationId);
            execute(connection, "insert into harvest_user_membership (user_id, organization_id, capacity)"
                    + " values (?, ?, ?)", user.id(), organizationId, capacity.value());
            return null;
        });
    }

    /**
     * @param userId a user's id
     * @return the user's capacity per organization id
     */
    public Map<String, Capacity> memberships(String userId) {
        return query("select organization_id, capacity from harvest_user_membership where user_id = ?"
                + " order by organization_id", rows -> {
                    Map<String, Capacity> memberships = new LinkedHashMap<>();
                    while (rows.next()) {
                        String organizationId = rows.getString(1);
                        Capacity.parse(rows.getString(2)).ifPresent(c -> memberships.put(organizationId, c));
                    }
                    return memberships;
                }, userId);
    }

    /**
     * @param user a user
     * @return that user as a caller, with its memberships
     */
    public Actor actor(User user) {
        return Actor.of(user, memberships(user.id()));
    }

    /**
     * Creates an API token for a user.
     *
     * @param userIdOrName the user
     * @param label a name for the token (e.g. what uses it), or null
     * @return the token and its text, which is never shown again
     */
    public NewToken createToken(String userIdOrName, String label) {
        User user = user(userIdOrName);
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String secret = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        ApiToken token = new ApiToken(UUID.randomUUID().toString(), user.name(),
                label == null || label.isBlank() ? null : label.strip(), now(), null);
        update("insert into harvest_api_token (id, user_id, name, token_hash, created) values (?, ?, ?, ?, ?)",
                token.id(), user.id(), token.name(), hash(secret), Timestamp.valueOf(token.created()));
        return new NewToken(token, secret);
    }

    /**
     * @param userIdOrName a user, or null for every user's
     * @return the tokens, oldest first
     */
    public List<ApiToken> tokens(String userIdOrName) {
        String userId = userIdOrName == null ? null : user(userIdOrName).id();
        return query("select t.id, u.name, t.name, t.created, t.last_used from harvest_api_token t"
                + " join harvest_user u on u.id = t.user_id" + (userId == null ? "" : " where t.user_id = ?")
                + " order by t.created, t.id", rows -> {
                    List<ApiToken> tokens = new ArrayList<>();
                    while (rows.next()) {
                        tokens.add(new ApiToken(rows.getString(1), rows.getString(2), rows.getString(3),
                                time(rows.getTimestamp(4)), time(rows.getTimestamp(5))));
                    }
                    return tokens;
                }, userId == null ? new Object[0] : new Object[] {userId});
    }

    /**
     * @param tokenId a token's id
     * @return whether a token was revoked (deleted)
     */
    public boolean revokeToken(String tokenId) {
        return update("delete from harvest_api_token where id = ?", tokenId) > 0;
    }

    /**
     * The caller a token stands for.
     *
     * @param secret the token's text, as sent in the {@code Authorization} header
     * @return the user with its memberships, or empty if no such token exists
     */
    public Optional<Actor> authenticate(String secret) {
        if (secret == null || secret.isBlank()) {
            return Optional.empty();
        }
        String hash = hash(secret.strip());
        Optional<String[]> found = query("select t.id, t.user_id, t.last_used from harvest_api_token t"
                + " where t.token_hash = ?", rows -> {
                    if (!rows.next()) {
                        return Optional.<String[]>empty();
                    }
                    Timestamp lastUsed = rows.getTimestamp(3);
                    return Optional.of(new String[] {rows.getString(1), rows.getString(2),
                        lastUsed == null ? null : lastUsed.toLocalDateTime().toString()});
                }, hash);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        LocalDateTime now = now();
        String lastUsed = found.get()[2];
        if (lastUsed == null || LocalDateTime.parse(lastUsed).isBefore(now.minus(LAST_USED_RESOLUTION))) {
            update("update harvest_api_token set last_used = ? where id = ?", Timestamp.valueOf(now),
                    found.get()[0]);
        }
        return findUser(found.get()[1]).map(this::actor);
    }

    /** @return the sysadmins that have an email address, by name */
    public List<User> sysadminsWithEmail() {
        return users("where sysadmin = ? and email is not null and email <> '' order by name", true);
    }

    /**
     * @param organizationId an organization id
     * @return its admins that have an email address, by name
     */
    public List<User> adminsWithEmail(String organizationId) {
        return users("where email is not null and email <> '' and id in (select m.user_id from"
                + " harvest_user_membership m where m.organization_id = ? and m.capacity = 'admin') order by name",
                organizationId);
    }

    /**
     * @param secret a token's text
     * @return its SHA-256 in lowercase hex, as stored
     */
    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }

    private List<User> users(String where, Object... values) {
        return query("select id, name, email, sysadmin, created from harvest_user " + where, rows -> {
            List<User> users = new ArrayList<>();
            while (rows.next()) {
                users.add(new User(rows.getString(1), rows.getString(2), rows.getString(3), rows.getBoolean(4),
                        time(rows.getTimestamp(5))));
            }
            return users;
        }, values);
    }

    private static LocalDateTime time(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toLocalDateTime();
    }

    /** Work in one transaction. */
    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private <T> T query(String sql, JdbcReads.RowReader<T> reader, Object... values) {
        return JdbcReads.query(dataSource, "Cannot read the users", sql, reader, values);
    }

    private int update(String sql, Object... values) {
        return inTransaction(connection -> execute(connection, sql, values));
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new HarvestException("Cannot change the users: " + e.getMessage());
        }
    }

    private static int execute(Connection connection, String sql, Object... values) throws SQLException {
        try (PreparedStatement statement = JdbcReads.prepare(connection, sql, values)) {
            return statement.executeUpdate();
        }
    }
}
