package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code harvest_log}. Times are UTC. */
@Entity
@Table(name = "harvest_log")
class LogEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "content")
    String content;

    @Column(name = "level")
    String level;

    @Column(name = "created")
    LocalDateTime created;
}
