package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code catalog_group}. Times are UTC. */
@Entity
@Table(name = "catalog_group")
class CatalogGroupEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "kind")
    String kind;

    @Column(name = "name")
    String name;

    @Column(name = "title")
    String title;

    @Column(name = "data")
    String data;
}
