package dev.harvest.core.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.harvest.core.config.HarvestConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * ckanext-harvest's database log handler: log records of harvest's loggers go to the {@code harvest_log} table,
 * where {@code harvester clean_harvest_log} prunes them. Enabled by {@code ckan.harvest.log_scope} &gt;= 0 at
 * {@code ckan.harvest.log_level} (default {@code debug}); needs Logback as the SLF4J backend, which the CLI has.
 *
 * <p>The scopes keep the original's numbers, mapped to harvest's packages: 0 everything; 1 engine, store,
 * harvesters; 2 engine and store; 3 same as 2 (there is no separate validators package); 4 the engine; 5 the store;
 * 6 the command line; 7 the harvesters. Failures to write a record are swallowed: logging never breaks a harvest.
 */
public final class DatabaseLogAppender extends AppenderBase<ILoggingEvent> {

    private static final String ENGINE = "dev.harvest.core";
    private static final String STORE = "dev.harvest.core.store";
    private static final List<String> HARVESTERS = List.of("dev.harvest.ckan", "dev.harvest.examples");
    private static final String CLI = "dev.harvest.cli";

    private final DataSource dataSource;
    private final Clock clock;

    private DatabaseLogAppender(DataSource dataSource, Clock clock) {
        this.dataSource = dataSource;
        this.clock = clock;
    }

    /**
     * Attaches the appender to the loggers of the configured scope, if {@code ckan.harvest.log_scope} is 0 or more
     * and Logback is the logging backend.
     *
     * @param config the site configuration
     * @param dataSource the harvest database
     * @return detaches the appender again; a no-op when database logging is off
     */
    public static Runnable install(HarvestConfig config, DataSource dataSource) {
        int scope = Integer.parseInt(config.get("ckan.harvest.log_scope", "-1"));
        if (scope < 0 || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return () -> {};
        }
        Level threshold = level(config.get("ckan.harvest.log_level", "debug"));
        DatabaseLogAppender appender = new DatabaseLogAppender(dataSource, Clock.systemUTC());
        appender.setContext(context);
        appender.setName("harvest_log");
        appender.addFilter(new ch.qos.logback.core.filter.Filter<>() {
            @Override
            public ch.qos.logback.core.spi.FilterReply decide(ILoggingEvent event) {
                return event.getLevel().isGreaterOrEqual(threshold)
                        ? ch.qos.logback.core.spi.FilterReply.NEUTRAL : ch.qos.logback.core.spi.FilterReply.DENY;
            }
        });
        appender.start();
        List<Logger> attached = new java.util.ArrayList<>();
        for (String name : loggersOf(scope)) {
            Logger logger = context.getLogger(name);
            logger.addAppender(appender);
            attached.add(logger);
            if (logger.getEffectiveLevel().isGreaterOrEqual(Level.INFO) && threshold.toInt() < Level.INFO_INT) {
                logger.setLevel(threshold);
            }
        }
        return () -> {
            attached.forEach(logger -> logger.detachAppender(appender));
            appender.stop();
        };
    }

    static List<String> loggersOf(int scope) {
        return switch (scope) {
            case 0 -> List.of("dev.harvest");
            case 1 -> List.of(ENGINE, HARVESTERS.get(0), HARVESTERS.get(1));
            case 2, 3 -> List.of(ENGINE);
            case 4 -> List.of("dev.harvest.core.engine");
            case 5 -> List.of(STORE);
            case 6 -> List.of(CLI);
            case 7 -> HARVESTERS;
            default -> throw new IllegalArgumentException("ckan.harvest.log_scope must be -1 to 7, not " + scope);
        };
    }

    /** ckanext-harvest's level names; unknown names mean debug, as the original. */
    static Level level(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "info" -> Level.INFO;
            case "warning" -> Level.WARN;
            case "error", "critical" -> Level.ERROR;
            default -> Level.DEBUG;
        };
    }

    /** @return the {@code harvest_log.level} value of a Logback level */
    static String levelName(Level level) {
        if (level.isGreaterOrEqual(Level.ERROR)) {
            return "ERROR";
        }
        if (level.isGreaterOrEqual(Level.WARN)) {
            return "WARNING";
        }
        return level.isGreaterOrEqual(Level.INFO) ? "INFO" : "DEBUG";
    }

    @Override
    protected void append(ILoggingEvent event) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement(
                        "insert into harvest_log (id, content, level, created) values (?, ?, ?, ?)")) {
            insert.setString(1, UUID.randomUUID().toString());
            insert.setString(2, dev.harvest.core.store.ErrorText.cap(event.getFormattedMessage()));
            insert.setString(3, levelName(event.getLevel()));
            insert.setTimestamp(4, Timestamp.valueOf(LocalDateTime.now(clock.withZone(ZoneOffset.UTC))));
            insert.executeUpdate();
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        } catch (SQLException | RuntimeException e) {
            addWarn("Could not write a harvest_log record: " + e.getMessage());
        }
    }
}
