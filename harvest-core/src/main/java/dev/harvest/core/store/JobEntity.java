package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code harvest_job}. Times are UTC. */
@Entity
@Table(name = "harvest_job")
class JobEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "created")
    LocalDateTime created;

    @Column(name = "gather_started")
    LocalDateTime gatherStarted;

    @Column(name = "gather_finished")
    LocalDateTime gatherFinished;

    @Column(name = "finished")
    LocalDateTime finished;

    @Column(name = "source_id")
    String sourceId;

    @Column(name = "status")
    String status;

    @Column(name = "queued_at")
    LocalDateTime queuedAt;

    @Column(name = "gather_owner")
    String gatherOwner;

    @Column(name = "gather_lease_until")
    LocalDateTime gatherLeaseUntil;

    @Column(name = "full_listing")
    Boolean fullListing;

    /** The guids a {@code run_test} with guids harvests, as a JSON array; null for a whole harvest. */
    @Column(name = "guid_filter")
    String guidFilter;
}
