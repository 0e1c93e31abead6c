package dev.harvest.ckan;

import dev.harvest.api.Settings;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Catalog;
import java.util.Optional;

/** A validation context over a given catalog, with no site settings. */
record TestValidationContext(Catalog catalog) implements ValidationContext {
    @Override
    public Settings settings() {
        return key -> Optional.empty();
    }
}
