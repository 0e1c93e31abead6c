package dev.harvest.api.catalog;

import java.util.Map;

/** A group or organization as a CKAN group dict. Unknown fields are kept. */
public final class CatalogGroup extends CkanDict {

    /** @param fields the group dict's fields */
    public CatalogGroup(Map<String, ?> fields) {
        super(fields);
    }
}
