package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code harvest_source}. Times are UTC. */
@Entity
@Table(name = "harvest_source")
class SourceEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "name")
    String name;

    @Column(name = "url")
    String url;

    @Column(name = "title")
    String title;

    @Column(name = "description")
    String description;

    @Column(name = "config")
    String config;

    @Column(name = "created")
    LocalDateTime created;

    @Column(name = "type")
    String type;

    @Column(name = "active")
    Boolean active;

    @Column(name = "user_id")
    String userId;

    @Column(name = "publisher_id")
    String publisherId;

    @Column(name = "owner_org")
    String ownerOrg;

    @Column(name = "frequency")
    String frequency;

    @Column(name = "next_run")
    LocalDateTime nextRun;
}
