package org.example.harvest.embedding;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.testkit.catalog.CatalogContract;
import java.io.OutputStream;
import java.io.PrintStream;

/** The application's catalog behaves as {@link Catalog} documents: the testkit's catalog contract. */
class InMemoryCatalogTest extends CatalogContract {

    private final InMemoryCatalog catalog = new InMemoryCatalog(new PrintStream(OutputStream.nullOutputStream()));

    @Override
    protected Catalog catalog() {
        return catalog;
    }
}
