package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** A row of {@code catalog_dataset}. Times are UTC. */
@Entity
@Table(name = "catalog_dataset")
class CatalogDatasetEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "name")
    String name;

    @Column(name = "title")
    String title;

    @Column(name = "owner_org")
    String ownerOrg;

    @Column(name = "state")
    String state;

    @Column(name = "metadata_created")
    LocalDateTime metadataCreated;

    @Column(name = "metadata_modified")
    LocalDateTime metadataModified;

    @Column(name = "data")
    String data;
}
