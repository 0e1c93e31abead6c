package dev.harvest.examples.testing;

import dev.harvest.api.GatherContext;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A gather context that keeps what the harvester emits and reports. With {@code keepObjects} false it only counts,
 * so that a test of a large catalog measures the harvester's memory, not its own.
 */
public final class RecordingGatherContext implements GatherContext {

    private final HarvestSource source;
    private final boolean keepObjects;
    private final List<NewHarvestObject> emitted = new ArrayList<>();
    private final List<String> gatherErrors = new ArrayList<>();
    private long emittedCount;
    private Runnable onEmit = () -> {};

    public RecordingGatherContext(HarvestSource source) {
        this(source, true);
    }

    public RecordingGatherContext(HarvestSource source, boolean keepObjects) {
        this.source = source;
        this.keepObjects = keepObjects;
    }

    /** Runs an action after each emit, e.g. to sample memory. */
    public RecordingGatherContext onEmit(Runnable action) {
        this.onEmit = action;
        return this;
    }

    public List<NewHarvestObject> emitted() {
        return emitted;
    }

    public List<String> guids() {
        return emitted.stream().map(NewHarvestObject::guid).toList();
    }

    public List<String> gatherErrors() {
        return gatherErrors;
    }

    @Override
    public HarvestSource source() {
        return source;
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
    public Optional<HarvestJob> lastErrorFreeJob() {
        return Optional.empty();
    }

    @Override
    public void emit(NewHarvestObject object) {
        emittedCount++;
        if (keepObjects) {
            emitted.add(object);
        }
        onEmit.run();
    }

    @Override
    public void markPresent(String guid) {
        throw new AssertionError("The data.json harvester lists every dataset; it has no reason to mark " + guid);
    }

    @Override
    public void gatherError(String message) {
        gatherErrors.add(message);
    }

    @Override
    public long emittedCount() {
        return emittedCount;
    }
}
