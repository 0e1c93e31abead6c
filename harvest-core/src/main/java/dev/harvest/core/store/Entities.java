package dev.harvest.core.store;

import java.util.List;

/** The Hibernate entities of the harvest tables and the embedded catalog. */
public final class Entities {

    /** Every mapped entity class. */
    public static final List<Class<?>> ALL = List.of(
            SourceEntity.class,
            JobEntity.class,
            ObjectEntity.class,
            ObjectExtraEntity.class,
            GatherErrorEntity.class,
            ObjectErrorEntity.class,
            LogEntity.class,
            CatalogDatasetEntity.class,
            CatalogGroupEntity.class);

    private Entities() {}
}
