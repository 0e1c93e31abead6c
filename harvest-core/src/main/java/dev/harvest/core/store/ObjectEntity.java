package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code harvest_object}. Times are UTC. */
@Entity
@Table(name = "harvest_object")
class ObjectEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "guid")
    String guid;

    @Column(name = "current")
    Boolean current;

    @Column(name = "gathered")
    LocalDateTime gathered;

    @Column(name = "fetch_started")
    LocalDateTime fetchStarted;

    @Column(name = "content")
    String content;

    @Column(name = "fetch_finished")
    LocalDateTime fetchFinished;

    @Column(name = "import_started")
    LocalDateTime importStarted;

    @Column(name = "import_finished")
    LocalDateTime importFinished;

    @Column(name = "state")
    String state;

    @Column(name = "metadata_modified_date")
    LocalDateTime metadataModifiedDate;

    @Column(name = "retry_times")
    Integer retryTimes;

    @Column(name = "harvest_job_id")
    String jobId;

    @Column(name = "harvest_source_id")
    String sourceId;

    @Column(name = "package_id")
    String packageId;

    @Column(name = "report_status")
    String reportStatus;

    @Column(name = "queued_at")
    LocalDateTime queuedAt;

    @Column(name = "claimed_by")
    String claimedBy;

    @Column(name = "lease_until")
    LocalDateTime leaseUntil;
}
