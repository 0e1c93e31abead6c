package dev.harvest.cli;

import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;

/**
 * A harvester that no {@code META-INF/services} file on the class path names: the CLI can only find it through a
 * plugin jar in the plugins folder, which {@link PluginFolderTest} builds.
 */
public final class FolderPluginHarvester implements Harvester {

    @Override
    public HarvesterInfo info() {
        return new HarvesterInfo("folder-plugin", "Folder plugin", "Loaded from a jar in the plugins folder");
    }

    @Override
    public GatherOutcome gather(GatherContext context) {
        return GatherOutcome.fullListing();
    }

    @Override
    public FetchOutcome fetch(FetchContext context) {
        return FetchOutcome.proceed();
    }

    @Override
    public ImportOutcome importObject(ImportContext context) {
        return ImportOutcome.skipped("nothing to import");
    }
}
