/**
 * Migration from a running ckanext-harvest site: copies a CKAN database's harvest tables into the harvest database,
 * keeping every id, streamed in keyset-paginated batches, idempotently ({@link dev.harvest.core.migrate.CkanMigration}).
 */
package dev.harvest.core.migrate;
