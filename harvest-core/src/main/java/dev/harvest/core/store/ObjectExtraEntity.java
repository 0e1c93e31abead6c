package dev.harvest.core.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code harvest_object_extra}. Times are UTC. */
@Entity
@Table(name = "harvest_object_extra")
class ObjectExtraEntity {

    @Id
    @Column(name = "id")
    String id;

    @Column(name = "harvest_object_id")
    String objectId;

    @Column(name = "key")
    String key;

    @Column(name = "value")
    String value;
}
