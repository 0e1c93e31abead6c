package dev.harvest.examples.testing;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.ImportContext;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** An import context for one object, as the engine would build it. */
public record TestImportContext(
        HarvestSource source,
        HarvestObject object,
        Optional<HarvestObject> previousObject,
        boolean forceImport,
        Catalog catalog,
        List<String> errors) implements ImportContext {

    public TestImportContext(HarvestSource source, HarvestObject object, Optional<HarvestObject> previousObject,
            boolean forceImport, Catalog catalog) {
        this(source, object, previousObject, forceImport, catalog, new ArrayList<>());
    }

    @Override
    public HarvestJob job() {
        return TestSources.runningJob();
    }

    @Override
    public Settings settings() {
        return MapSettings.empty();
    }

    @Override
    public void recordError(String message, Integer line) {
        errors.add(message);
    }
}
