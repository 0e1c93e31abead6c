package dev.harvest.core.migrate;

import java.util.List;

/**
 * One of ckanext-harvest's tables as the migration copies it: the columns it reads from the CKAN database (an
 * expression each, over the table's alias {@code t}) and the harvest columns they go to. Tables come in the order of
 * their foreign keys, so a row's parent is always copied before it.
 *
 * @param name the table, the same on both sides
 * @param from the {@code FROM} clause on the CKAN side, the table aliased {@code t}
 * @param columns the copied columns; the first is the primary key {@code id}
 */
record MigratedTable(String name, String from, List<Column> columns) {

    /**
     * @param target the harvest column
     * @param source the expression read on the CKAN side
     * @param kind how the value is carried
     */
    record Column(String target, String source, ColumnKind kind) {
        static Column same(String name, ColumnKind kind) {
            return new Column(name, "t." + name, kind);
        }
    }

    /**
     * A New or Running job of a source that has another, preferred, pending job. ckanext-harvest checked, then
     * inserted, so a site may hold two; harvest allows one per source (changeset 6) and, as that changeset did, keeps
     * the newest Running job, else the newest New one, and copies the others as {@code Aborted}.
     */
    static final String SUPERSEDED_PENDING_JOB = "(t.status in ('New', 'Running') and exists (select 1 from harvest_job k"
            + " where k.source_id = t.source_id and k.id <> t.id and k.status in ('New', 'Running') and ("
            + "(k.status = 'Running' and t.status = 'New') or (k.status = t.status and ("
            + "coalesce(k.created, timestamp '1970-01-01 00:00:00') > coalesce(t.created, timestamp '1970-01-01 00:00:00')"
            + " or (coalesce(k.created, timestamp '1970-01-01 00:00:00') = coalesce(t.created,"
            + " timestamp '1970-01-01 00:00:00') and k.id > t.id))))))";

    private static MigratedTable plain(String name, Object... columns) {
        List<Column> list = new java.util.ArrayList<>();
        for (int i = 0; i < columns.length; i += 2) {
            list.add(Column.same((String) columns[i], (ColumnKind) columns[i + 1]));
        }
        return new MigratedTable(name, name + " t", List.copyOf(list));
    }

    /**
     * The seven tables. A source's name, organization and (when its own is empty) title live in CKAN's
     * {@code package} row of type {@code harvest} with the source's id; a source whose dataset is deleted is inactive.
     *
     * @param withPackageTable whether the CKAN database has CKAN's {@code package} table
     * @return the tables in copy order
     */
    static List<MigratedTable> all(boolean withPackageTable) {
        String packageJoin = withPackageTable
                ? "harvest_source t left join package p on p.id = t.id and p.type = 'harvest'"
                : "harvest_source t";
        MigratedTable sources = new MigratedTable("harvest_source", packageJoin, List.of(
                Column.same("id", ColumnKind.TEXT),
                new Column("name", withPackageTable ? "coalesce(p.name, t.id)" : "t.id", ColumnKind.TEXT),
                Column.same("url", ColumnKind.TEXT),
                new Column("title", withPackageTable ? "coalesce(nullif(t.title, ''), p.title, '')"
                        : "coalesce(t.title, '')", ColumnKind.TEXT),
                Column.same("description", ColumnKind.TEXT),
                Column.same("config", ColumnKind.TEXT),
                Column.same("created", ColumnKind.TIMESTAMP),
                Column.same("type", ColumnKind.TEXT),
                new Column("active", withPackageTable
                        ? "coalesce(t.active, true) and (p.state is null or p.state = 'active')"
                        : "coalesce(t.active, true)", ColumnKind.BOOLEAN),
                new Column("user_id", "coalesce(t.user_id, '')", ColumnKind.TEXT),
                new Column("publisher_id", "coalesce(t.publisher_id, '')", ColumnKind.TEXT),
                new Column("owner_org", withPackageTable ? "p.owner_org" : "null", ColumnKind.TEXT),
                new Column("frequency", "coalesce(nullif(t.frequency, ''), 'MANUAL')", ColumnKind.TEXT),
                Column.same("next_run", ColumnKind.TIMESTAMP)));
        MigratedTable jobs = new MigratedTable("harvest_job", "harvest_job t", List.of(
                Column.same("id", ColumnKind.TEXT),
                Column.same("created", ColumnKind.TIMESTAMP),
                Column.same("gather_started", ColumnKind.TIMESTAMP),
                Column.same("gather_finished", ColumnKind.TIMESTAMP),
                new Column("finished", "case when " + SUPERSEDED_PENDING_JOB
                        + " then coalesce(t.finished, t.gather_finished, t.created) else t.finished end",
                        ColumnKind.TIMESTAMP),
                Column.same("source_id", ColumnKind.TEXT),
                new Column("status", "case when " + SUPERSEDED_PENDING_JOB + " then 'Aborted' else t.status end",
                        ColumnKind.TEXT)));
        MigratedTable objects = new MigratedTable("harvest_object", "harvest_object t", List.of(
                Column.same("id", ColumnKind.TEXT),
                Column.same("guid", ColumnKind.TEXT),
                new Column("current", "coalesce(t.current, false)", ColumnKind.BOOLEAN),
                Column.same("gathered", ColumnKind.TIMESTAMP),
                Column.same("fetch_started", ColumnKind.TIMESTAMP),
                Column.same("content", ColumnKind.TEXT),
                Column.same("fetch_finished", ColumnKind.TIMESTAMP),
                Column.same("import_started", ColumnKind.TIMESTAMP),
                Column.same("import_finished", ColumnKind.TIMESTAMP),
                new Column("state", "coalesce(t.state, 'WAITING')", ColumnKind.TEXT),
                Column.same("metadata_modified_date", ColumnKind.TIMESTAMP),
                new Column("retry_times", "coalesce(t.retry_times, 0)", ColumnKind.INTEGER),
                Column.same("harvest_job_id", ColumnKind.TEXT),
                Column.same("harvest_source_id", ColumnKind.TEXT),
                Column.same("package_id", ColumnKind.TEXT),
                Column.same("report_status", ColumnKind.TEXT),
                // every copied object starts outside the (job, guid) uniqueness; CkanMigration then marks the first
                // object of each guid in a job, leaving null only on the duplicates ckanext-harvest allowed
                new Column("unique_guid", "cast(null as boolean)", ColumnKind.BOOLEAN)));
        MigratedTable extras = plain("harvest_object_extra", "id", ColumnKind.TEXT,
                "harvest_object_id", ColumnKind.TEXT, "key", ColumnKind.TEXT, "value", ColumnKind.TEXT);
        MigratedTable gatherErrors = plain("harvest_gather_error", "id", ColumnKind.TEXT,
                "harvest_job_id", ColumnKind.TEXT, "message", ColumnKind.TEXT, "created", ColumnKind.TIMESTAMP);
        MigratedTable objectErrors = plain("harvest_object_error", "id", ColumnKind.TEXT,
                "harvest_object_id", ColumnKind.TEXT, "message", ColumnKind.TEXT, "stage", ColumnKind.TEXT,
                "line", ColumnKind.INTEGER, "created", ColumnKind.TIMESTAMP);
        MigratedTable logs = new MigratedTable("harvest_log", "harvest_log t", List.of(
                Column.same("id", ColumnKind.TEXT),
                Column.same("content", ColumnKind.TEXT),
                // a PostgreSQL enum (log_level) there, text here
                new Column("level", "cast(t.level as text)", ColumnKind.TEXT),
                Column.same("created", ColumnKind.TIMESTAMP)));
        return List.of(sources, jobs, objects, extras, gatherErrors, objectErrors, logs);
    }

    /** @return the CKAN-side page query: the next {@code limit} rows after an id, or the first ones */
    String pageQuery(boolean first) {
        StringBuilder sql = new StringBuilder("select ");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(columns.get(i).source());
        }
        sql.append(" from ").append(from);
        if (!first) {
            sql.append(" where t.id > ?");
        }
        return sql.append(" order by t.id limit ?").toString();
    }

    /** @return the harvest-side insert of one row */
    String insert() {
        StringBuilder names = new StringBuilder();
        StringBuilder marks = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            names.append(i == 0 ? "" : ", ").append(columns.get(i).target());
            marks.append(i == 0 ? "?" : ", ?");
        }
        return "insert into " + name + " (" + names + ") values (" + marks + ")";
    }
}
