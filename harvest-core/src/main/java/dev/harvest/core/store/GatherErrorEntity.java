package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code harvest_gather_error}. Times are UTC. */
@Entity
@Table(name = "harvest_gather_error")
class GatherErrorEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "harvest_job_id")
    String jobId;

    @Column(name = "message")
    String message;

    @Column(name = "created")
    LocalDateTime created;
}
