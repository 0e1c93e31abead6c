package dev.harvest.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ErrorTextTest {

    @Test
    void aJdbcBatchFailureIsDescribedByTheServersErrorWithoutTheStatementOrItsValues() {
        String values = "X".repeat(1_000_000);
        BatchUpdateException batch = new BatchUpdateException("Batch entry 0 insert into harvest_object_error"
                + " (id, message) values ('1', '" + values + "') was aborted: ERROR: value too long for type"
                + " character varying(100)  Call getNextException to see other errors in the batch.", "22001", 0,
                new int[0], null);
        batch.setNextException(new SQLException("ERROR: value too long for type character varying(100)\n"
                + "  Detail: Failing row contains (1, " + values + ").", "22001"));
        RuntimeException wrapped = new org.hibernate.exception.DataException("could not execute batch [" + values + "]",
                batch);

        assertEquals("Database error 22001: ERROR: value too long for type character varying(100)",
                ErrorText.describe(wrapped));
    }

    @Test
    void aBatchFailureWithoutANextExceptionKeepsOnlyTheServersPart() {
        BatchUpdateException batch = new BatchUpdateException("Batch entry 3 insert into t values ('secret-value')"
                + " was aborted: ERROR: duplicate key value violates unique constraint \"t_pkey\"", "23505", 0,
                new int[0], null);

        String described = ErrorText.describe(batch);

        assertEquals("Database error 23505: ERROR: duplicate key value violates unique constraint \"t_pkey\"",
                described);
    }

    @Test
    void aDomainExceptionCausedByTheDatabaseKeepsItsOwnWordsWithoutTheValue() {
        SQLException h2 = new SQLException("Value too long for column \"TITLE CHARACTER VARYING(2000)\":"
                + " \"'TTTTTTTTTTTTTTTTTTTT... (3000)\"; SQL statement:\ninsert into catalog_dataset values (?)", "22001");
        IllegalStateException domain = new IllegalStateException("Cannot create dataset ds-c: " + h2.getMessage(), h2);

        assertEquals("IllegalStateException: Cannot create dataset ds-c: Value too long for column"
                + " \"TITLE CHARACTER VARYING(2000)\": a value of 3000 characters", ErrorText.describe(domain));
    }

    @Test
    void aLongMessageIsCutWithANoteOfItsLengthAndAShortOneIsKept() {
        String capped = ErrorText.cap("a".repeat(10_000));

        assertTrue(capped.startsWith("a".repeat(ErrorText.MAX_CHARS) + " [... cut: the message had 10,000 characters]"),
                capped.substring(ErrorText.MAX_CHARS - 5));
        assertEquals("short", ErrorText.cap("short"));
        assertNull(ErrorText.cap(null));
    }
}
