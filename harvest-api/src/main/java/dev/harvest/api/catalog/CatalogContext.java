package dev.harvest.api.catalog;

import dev.harvest.api.Settings;
import java.time.Clock;

/** What a {@link CatalogProvider} gets to open its catalog with. */
public interface CatalogContext {

    /** @return the site-wide settings; a declared key that the file does not set reads as its default */
    Settings settings();

    /** @return the engine's clock, for timestamps such as {@code metadata_modified} */
    Clock clock();
}
