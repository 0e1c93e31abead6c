package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code harvest_object_error}. Times are UTC. */
@Entity
@Table(name = "harvest_object_error")
class ObjectErrorEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "harvest_object_id")
    String objectId;

    @Column(name = "message")
    String message;

    @Column(name = "stage")
    String stage;

    @Column(name = "line")
    Integer line;

    @Column(name = "created")
    LocalDateTime created;
}
