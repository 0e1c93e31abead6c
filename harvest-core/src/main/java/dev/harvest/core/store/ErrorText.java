package dev.harvest.core.store;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The one place where error texts are made storable and printable: every gather error, object error and database
 * log record is capped here ({@link #cap(String)}), and every exception the engine records is described here
 * ({@link #describe(Throwable)}), a database error by its cause and never with a JDBC batch's bound values.
 *
 * <p>Why: a remote title of 5 MB once made a 10.5 MB object error (the whole JDBC batch with its values) that
 * {@code report} printed in full.
 */
public final class ErrorText {

    /** The longest message stored or printed, in characters. */
    public static final int MAX_CHARS = 4000;

    /** H2's quoted value in a message: {@code : "'TTTT... (5242880)"}. */
    private static final java.util.regex.Pattern H2_VALUE = java.util.regex.Pattern.compile(
            ": \"'.*?\\((\\d+)\\)\"");

    /** The statement part of a JDBC batch failure, which quotes the bound values. */
    private static final java.util.regex.Pattern BATCH_ENTRY = java.util.regex.Pattern.compile(
            "Batch entry \\d+ .*? was aborted: ");

    private ErrorText() {}

    /**
     * @param message a message, or null
     * @return the message, or its first {@link #MAX_CHARS} characters with a note of its length
     */
    public static String cap(String message) {
        if (message == null || message.length() <= MAX_CHARS) {
            return message;
        }
        int end = MAX_CHARS;
        if (Character.isHighSurrogate(message.charAt(end - 1))) {
            end--; // never split a character in two
        }
        return message.substring(0, end) + String.format(Locale.ROOT, " [... cut: the message had %,d characters]",
                message.length());
    }

    /**
     * Describes an exception for an error record: its class and message; for a database error, its SQL state and
     * the first line of the database's own message (the cause), without the statement, the batch's bound values or
     * the failing row. Always capped.
     *
     * @param e an exception
     * @return a one-part description
     */
    public static String describe(Throwable e) {
        SQLException sql = deepestSqlException(e);
        if (sql == null) {
            String message = e.getMessage();
            return cap(e.getClass().getSimpleName() + (message == null ? "" : ": " + message));
        }
        if (isDatabaseLayer(e)) {
            String message = firstLine(sql.getMessage());
            return cap("Database error" + (sql.getSQLState() == null ? "" : " " + sql.getSQLState()) + ": "
                    + (message == null ? sql.getClass().getSimpleName() : message));
        }
        // a domain exception caused by the database (a catalog's "Cannot create dataset x: ..."): its own words,
        // with the database's part cleaned the same way
        String message = firstLine(e.getMessage());
        return cap(e.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }

    /** @return whether the exception is the database's or its access layer's (JDBC, Hibernate, JPA) */
    private static boolean isDatabaseLayer(Throwable e) {
        String name = e.getClass().getName();
        return e instanceof SQLException || name.startsWith("org.hibernate.") || name.startsWith("jakarta.persistence.")
                || name.startsWith("com.zaxxer.hikari.");
    }

    /**
     * The innermost SQL exception: a batch's next exception (the server's error for the failing entry) rather than
     * the batch exception, whose message quotes the statement with its values.
     */
    private static SQLException deepestSqlException(Throwable e) {
        SQLException found = null;
        int depth = 0;
        for (Throwable cause = e; cause != null && depth < 20; cause = cause.getCause(), depth++) {
            if (cause instanceof SQLException sql) {
                found = sql;
                SQLException next = sql.getNextException();
                if (sql instanceof BatchUpdateException && next != null) {
                    found = next;
                }
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        if (found instanceof BatchUpdateException batch) {
            return new SQLException(batchMessageWithoutValues(batch), batch.getSQLState());
        }
        return found;
    }

    private static String batchMessageWithoutValues(BatchUpdateException batch) {
        // "Batch entry 0 insert into ... values (...) was aborted: ERROR: value too long ..." -> the part after the
        // statement
        String message = batch.getMessage();
        if (message == null) {
            return "a batch of statements failed";
        }
        int aborted = message.indexOf(" was aborted: ");
        return aborted >= 0 ? message.substring(aborted + " was aborted: ".length()) : "a batch of statements failed";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return null;
        }
        int newline = message.indexOf('\n');
        String line = newline >= 0 ? message.substring(0, newline) : message;
        // a JDBC batch's statement with its values: "Batch entry 0 insert into ... values (...) was aborted: "
        line = BATCH_ENTRY.matcher(line).replaceAll("");
        // H2 quotes the offending value ("'TTTT... (5242880)") and appends the statement: keep only its length
        line = H2_VALUE.matcher(line).replaceAll(": a value of $1 characters");
        // PostgreSQL's server message may still carry the failing row or key on the same line
        for (String marker : new String[] {"  Detail:", " Detail:", "  Where:", "  Position:", "; SQL statement:"}) {
            int at = line.indexOf(marker);
            if (at >= 0) {
                line = line.substring(0, at);
            }
        }
        return line.strip();
    }
}
