package dev.harvest.core.migrate;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;

/** How a copied column's value is read from the CKAN database and written to the harvest database. */
enum ColumnKind {
    TEXT(Types.VARCHAR),
    /** Naive UTC, as both sides store it: read and written as a local date-time, never through the JVM's zone. */
    TIMESTAMP(Types.TIMESTAMP),
    BOOLEAN(Types.BOOLEAN),
    INTEGER(Types.INTEGER);

    private final int sqlType;

    ColumnKind(int sqlType) {
        this.sqlType = sqlType;
    }

    Object read(ResultSet row, int index) throws SQLException {
        Object value = switch (this) {
            case TEXT -> row.getString(index);
            case TIMESTAMP -> row.getObject(index, LocalDateTime.class);
            case BOOLEAN -> row.getBoolean(index);
            case INTEGER -> row.getInt(index);
        };
        return row.wasNull() ? null : value;
    }

    void write(PreparedStatement statement, int index, Object value) throws SQLException {
        if (value == null) {
            statement.setNull(index, sqlType);
        } else {
            statement.setObject(index, value, sqlType);
        }
    }
}
