package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

/** Conversions between stored rows and the API's records, and the stores' shared notions of ids and time. */
final class Rows {

    private Rows() {}

    static String newId() {
        return UUID.randomUUID().toString();
    }

    /** @return the current time in UTC, as stored */
    static LocalDateTime now(Clock clock) {
        return LocalDateTime.now(clock.withZone(ZoneOffset.UTC));
    }

    static Instant instant(LocalDateTime time) {
        return time == null ? null : time.toInstant(ZoneOffset.UTC);
    }

    static HarvestSource toApi(SourceEntity source) {
        return new HarvestSource(source.id, source.name, source.title, source.url, source.type,
                source.config == null ? "" : source.config, source.ownerOrg,
                source.frequency == null ? "MANUAL" : source.frequency, Boolean.TRUE.equals(source.active));
    }

    static HarvestJob toApi(JobEntity job) {
        return new HarvestJob(job.id, job.sourceId, job.status, instant(job.created), instant(job.gatherStarted),
                instant(job.gatherFinished), instant(job.finished));
    }

    static HarvestObject toApi(ObjectEntity object, Map<String, String> extras) {
        return new HarvestObject(object.id, object.guid, object.jobId, object.sourceId, object.content,
                instant(object.metadataModifiedDate), object.packageId, extras);
    }
}
