package dev.harvest.core.db;

import dev.harvest.core.HarvestException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Plain JDBC reads and bound statements, for the stores that read with SQL rather than through Hibernate (the
 * action API's reads, the users and their tokens).
 */
public final class JdbcReads {

    private JdbcReads() {}

    /**
     * Reads a query's rows.
     *
     * @param <T> what the rows are read into
     */
    @FunctionalInterface
    public interface RowReader<T> {
        /**
         * @param rows the query's rows
         * @return what was read
         * @throws SQLException if reading fails
         */
        T read(ResultSet rows) throws SQLException;
    }

    /**
     * Runs a query on a connection of its own and reads its rows.
     *
     * @param dataSource the database
     * @param failure what the error says before the driver's message, e.g. {@code Cannot read the users}
     * @param sql the query, with {@code ?} parameters
     * @param reader reads the rows
     * @param values the parameters, in order
     * @param <T> what is read
     * @return what the reader returned
     */
    public static <T> T query(DataSource dataSource, String failure, String sql, RowReader<T> reader,
            Object... values) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = prepare(connection, sql, values);
                ResultSet rows = statement.executeQuery()) {
            return reader.read(rows);
        } catch (SQLException e) {
            throw new HarvestException(failure + ": " + e.getMessage());
        }
    }

    /**
     * @param connection a connection
     * @param sql a statement with {@code ?} parameters
     * @param values the parameters, in order
     * @return the statement with its parameters bound; the caller closes it
     * @throws SQLException if the statement cannot be prepared
     */
    public static PreparedStatement prepare(Connection connection, String sql, Object... values) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < values.length; i++) {
            statement.setObject(i + 1, values[i]);
        }
        return statement;
    }
}
