package dev.harvest.web;

import dev.harvest.core.testing.TestDatabases;

/** {@link ActionApiTest} on PostgreSQL: the actions' own statements (pages, grouped statistics) on both databases. */
class ActionApiPostgresTest extends ActionApiTest {

    @Override
    TestDatabases.Kind kind() {
        return TestDatabases.Kind.POSTGRESQL;
    }
}
