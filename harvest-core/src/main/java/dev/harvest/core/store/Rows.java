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
    /** Now, to the microsecond that the databases keep, so a returned time equals the stored one. */
    static LocalDateTime now(Clock clock) {
        return LocalDateTime.now(clock.withZone(ZoneOffset.UTC)).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    static Instant instant(LocalDateTime time) {
        return time == null ? null : time.toInstant(ZoneOffset.UTC);
    }

    static HarvestSource toApi(SourceEntity source) {
        return HarvestSource.builder()
                .id(source.id)
                .name(source.name)
                .title(source.title)
                .url(source.url)
                .type(source.type)
                .config(source.config == null ? "" : source.config)
                .ownerOrg(source.ownerOrg)
                .frequency(source.frequency == null ? "MANUAL" : source.frequency)
                .active(Boolean.TRUE.equals(source.active))
                .build();
    }

    static HarvestJob toApi(JobEntity job) {
        return HarvestJob.builder()
                .id(job.id)
                .sourceId(job.sourceId)
                .status(job.status)
                .created(instant(job.created))
                .gatherStarted(instant(job.gatherStarted))
                .gatherFinished(instant(job.gatherFinished))
                .finished(instant(job.finished))
                .build();
    }

    static HarvestObject toApi(ObjectEntity object, Map<String, String> extras) {
        return HarvestObject.builder()
                .id(object.id)
                .guid(object.guid)
                .jobId(object.jobId)
                .sourceId(object.sourceId)
                .content(object.content)
                .metadataModified(instant(object.metadataModifiedDate))
                .packageId(object.packageId)
                .extras(extras)
                .build();
    }
}
