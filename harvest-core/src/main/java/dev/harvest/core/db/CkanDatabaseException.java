package dev.harvest.core.db;

/**
 * The harvest database is a CKAN site's database: it holds ckanext-harvest's tables, which harvest does not adopt in
 * place. The message says so in one line and names the {@code harvester migrate-from-ckan} command that copies them.
 */
public final class CkanDatabaseException extends DatabaseUnavailableException {

    private static final long serialVersionUID = 1L;

    CkanDatabaseException(String message) {
        super(message, null);
    }
}
