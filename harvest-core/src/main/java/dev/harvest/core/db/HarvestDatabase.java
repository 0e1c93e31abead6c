package dev.harvest.core.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.harvest.core.config.HarvestConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.sql.DataSource;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;

/**
 * The harvest database: a HikariCP pool, the Liquibase schema, and Hibernate over both.
 *
 * <p>Named {@code HarvestDatabase} to keep it apart from Liquibase's {@code Database}.
 */
public final class HarvestDatabase implements AutoCloseable {

    /** The Liquibase changelog on the classpath. */
    public static final String CHANGELOG = "db/changelog/harvest-changelog.xml";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HarvestDatabase.class);
    private static final int DEADLOCK_ATTEMPTS = 3;

    /** Liquibase logs every changeset through java.util.logging; operators need only its warnings. Held so the
     * level is not lost when the logger is garbage collected. */
    private static final java.util.logging.Logger LIQUIBASE_LOGGER = java.util.logging.Logger.getLogger("liquibase");

    /** How long a connection above the minimum idle stays open unused before the pool closes it. */
    static final long IDLE_TIMEOUT_MILLIS = 60_000;

    private final HikariDataSource dataSource;
    private final SessionFactory sessionFactory;
    private final boolean postgres;
    private final ThreadLocal<Session> ambient = new ThreadLocal<>();

    private HarvestDatabase(HikariDataSource dataSource, SessionFactory sessionFactory, boolean postgres) {
        this.dataSource = dataSource;
        this.sessionFactory = sessionFactory;
        this.postgres = postgres;
    }

    /**
     * Connects, brings the schema up to date, and starts Hibernate.
     *
     * @param config the site configuration
     * @param entities the mapped entity classes
     * @return the database
     * @throws DatabaseUnavailableException if the database cannot be reached or migrated
     */
    public static HarvestDatabase open(HarvestConfig config, List<Class<?>> entities) {
        HikariDataSource dataSource = pool(config);
        try {
            migrate(dataSource, config.jdbcUrl());
            Configuration hibernate = new Configuration();
            entities.forEach(hibernate::addAnnotatedClass);
            hibernate.getProperties().put(AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, dataSource);
            hibernate.setProperty(AvailableSettings.STATEMENT_BATCH_SIZE, "100");
            hibernate.setProperty(AvailableSettings.ORDER_INSERTS, "true");
            hibernate.setProperty(AvailableSettings.ORDER_UPDATES, "true");
            hibernate.setProperty(AvailableSettings.HBM2DDL_AUTO, "none");
            hibernate.setProperty(AvailableSettings.SHOW_SQL, "false");
            hibernate.setProperty("hibernate.type.preferred_boolean_jdbc_type", "BOOLEAN");
            SessionFactory sessionFactory = hibernate.buildSessionFactory();
            return new HarvestDatabase(dataSource, sessionFactory, config.jdbcUrl().startsWith("jdbc:postgresql:"));
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    /**
     * Creates or upgrades the schema without starting Hibernate ({@code harvester initdb}).
     *
     * @param config the site configuration
     */
    public static void initialise(HarvestConfig config) {
        try (HikariDataSource dataSource = pool(config)) {
            migrate(dataSource, config.jdbcUrl());
        }
    }

    /**
     * Connects without creating or upgrading the schema, for work that must not change the database (a dry run of
     * {@code harvester migrate-from-ckan}); a CKAN site's database is refused as {@link #open} refuses it.
     *
     * @param config the site configuration
     * @return a pool the caller closes
     * @throws DatabaseUnavailableException if the database cannot be reached, or is a CKAN site's
     */
    public static HikariDataSource connectWithoutMigrating(HarvestConfig config) {
        HikariDataSource dataSource = pool(config);
        try (Connection connection = dataSource.getConnection()) {
            CkanTables.refuseCkanDatabase(connection, safeUrl(config.jdbcUrl()));
            return dataSource;
        } catch (SQLException e) {
            dataSource.close();
            throw new DatabaseUnavailableException("Cannot read the harvest database at " + safeUrl(config.jdbcUrl())
                    + ": " + rootMessage(e), e);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    private static HikariDataSource pool(HarvestConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.dbUser());
        hikari.setPassword(config.dbPassword());
        // sized from what the process does (HarvestConfig#poolSize), with few connections kept while it idles, so
        // that many consumer processes fit in the database's max_connections
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(config.minIdle());
        hikari.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        hikari.setPoolName("harvest");
        hikari.setConnectionTimeout(10_000);
        hikari.setInitializationFailTimeout(10_000);
        if (config.jdbcUrl().startsWith("jdbc:postgresql:")) {
            // turns JDBC batches of inserts into multi-row statements: gathers store objects in batches
            hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
            // names the process in pg_stat_activity (an ApplicationName in the URL wins)
            hikari.addDataSourceProperty("ApplicationName", config.applicationName());
        }
        try {
            return new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            throw new DatabaseUnavailableException("Cannot connect to the harvest database at "
                    + safeUrl(config.jdbcUrl()) + ": " + rootMessage(e), e);
        }
    }

    private static void migrate(DataSource dataSource, String url) {
        LIQUIBASE_LOGGER.setLevel(java.util.logging.Level.WARNING);
        try (Connection connection = dataSource.getConnection()) {
            // before Liquibase, which would fail on ckanext-harvest's tables with a long stack trace
            CkanTables.refuseCkanDatabase(connection, safeUrl(url));
            Database database =
                    DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
            // Liquibase prints its progress to stdout through its UI service; send it to the log instead, so that
            // command output stays parseable
            Map<String, Object> scope = Map.of(liquibase.Scope.Attr.ui.name(), new liquibase.ui.LoggerUIService(),
                    "liquibase.command.showSummaryOutput", "LOG", "liquibase.command.showSummary", "OFF");
            liquibase.Scope.child(scope, () -> {
                try (Liquibase liquibase = new Liquibase(CHANGELOG, new ClassLoaderResourceAccessor(), database)) {
                    liquibase.update("");
                }
            });
        } catch (CkanDatabaseException e) {
            throw e;
        } catch (SQLException | LiquibaseException e) {
            throw new DatabaseUnavailableException("Cannot create or upgrade the harvest tables: " + rootMessage(e), e);
        } catch (Exception e) {
            throw new DatabaseUnavailableException("Cannot create or upgrade the harvest tables: " + rootMessage(e), e);
        }
    }

    /**
     * Runs work in one transaction, committed when it returns and rolled back when it throws.
     *
     * <p>Called while this thread already runs a transaction (a batch import, say), the work joins it inside a
     * savepoint instead: it is rolled back alone if it throws, and the enclosing transaction stays usable. That is
     * how the embedded catalog's writes commit together with the harvest objects they belong to.
     *
     * @param work the work
     * @param <T> its result type
     * @return its result
     */
    public <T> T inTransaction(Function<Session, T> work) {
        Session session = ambient.get();
        if (session != null) {
            return inSavepoint(session, work);
        }
        return sessionFactory.fromTransaction(opened -> {
            ambient.set(opened);
            try {
                T result = work.apply(opened);
                if (opened.getTransaction().getRollbackOnly()) {
                    // Hibernate marks a transaction for rollback when one of its statements failed, even one that a
                    // savepoint undid; committing would roll back silently, so fail loudly instead
                    throw new IllegalStateException("The transaction was marked for rollback by a failed statement");
                }
                return result;
            } finally {
                ambient.remove();
            }
        });
    }

    /**
     * {@link #inTransaction} for work that updates many rows another transaction may be updating in another order
     * (stopping a job's objects while a worker claims some of them): when PostgreSQL breaks a deadlock by failing
     * this transaction, the work runs again, up to {@value #DEADLOCK_ATTEMPTS} times in all. Inside an enclosing
     * transaction it runs once, as {@link #inTransaction} does.
     *
     * @param work the work, which must be safe to run again after a rollback
     * @param <T> its result type
     * @return its result
     */
    public <T> T inTransactionRetryingDeadlocks(Function<Session, T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return inTransaction(work);
            } catch (RuntimeException e) {
                if (attempt >= DEADLOCK_ATTEMPTS || ambient.get() != null || !isDeadlock(e)) {
                    throw e;
                }
                LOG.info("A transaction was chosen to break a deadlock; running it again (attempt {} of {})",
                        attempt + 1, DEADLOCK_ATTEMPTS);
            }
        }
    }

    /** @return whether the failure is PostgreSQL's deadlock detection (SQL state 40P01) */
    static boolean isDeadlock(Throwable failure) {
        return hasSqlState(failure, state -> state.equals("40P01"));
    }

    /**
     * Whether a failure is the database connection's, not the work's: a connection exception (SQL state class
     * {@code 08}: reset, broken, cannot connect) or the server ending the session (57P01 terminated by an
     * administrator, 57P02 crash shutdown, 57P03 cannot connect now).
     *
     * @param failure what a transaction threw
     * @return true if running the same work again on a fresh connection may well succeed
     */
    public static boolean isConnectionFailure(Throwable failure) {
        return hasSqlState(failure, state -> state.startsWith("08") || state.equals("57P01")
                || state.equals("57P02") || state.equals("57P03"));
    }

    private static boolean hasSqlState(Throwable failure, java.util.function.Predicate<String> state) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null && state.test(sql.getSQLState())) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /**
     * Runs reads: in this thread's transaction if there is one (no savepoint needed), else in a new one.
     *
     * @param work the reads
     * @param <T> its result type
     * @return its result
     */
    public <T> T read(Function<Session, T> work) {
        Session session = ambient.get();
        return session != null ? work.apply(session) : inTransaction(work);
    }

    /**
     * Runs writes in this thread's transaction without a savepoint of their own (the caller's savepoint, if any,
     * covers them), or in a new transaction when there is none.
     *
     * @param work the writes
     * @param <T> its result type
     * @return its result
     */
    public <T> T joined(Function<Session, T> work) {
        Session session = ambient.get();
        return session != null ? work.apply(session) : inTransaction(work);
    }

    private static <T> T inSavepoint(Session session, Function<Session, T> work) {
        // flushed first, so that clearing the session after a rollback cannot drop the enclosing work's changes
        session.flush();
        Savepoint savepoint = session.doReturningWork(Connection::setSavepoint);
        T result;
        try {
            result = work.apply(session);
            session.flush();
        } catch (RuntimeException | Error e) {
            try {
                session.doWork(connection -> connection.rollback(savepoint));
            } catch (RuntimeException rollbackFailure) {
                e.addSuppressed(rollbackFailure);
            }
            session.clear();
            throw e;
        }
        session.doWork(connection -> connection.releaseSavepoint(savepoint));
        return result;
    }

    /** @return whether this is PostgreSQL (else H2) */
    public boolean isPostgres() {
        return postgres;
    }

    /** @return the most connections this process opens (the pool's size) */
    public int maximumPoolSize() {
        return dataSource.getMaximumPoolSize();
    }

    /** @return the connections the pool keeps open while idle */
    public int minimumIdle() {
        return dataSource.getMinimumIdle();
    }

    /** @return the pool, for code that needs plain JDBC */
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        sessionFactory.close();
        dataSource.close();
    }

    static String safeUrl(String url) {
        return url.replaceAll("password=[^&;]*", "password=***");
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }
}
