package dev.harvest.api.catalog;

import java.util.Map;

/** A dataset as a CKAN package dict. Unknown fields are kept. */
public final class Dataset extends CkanDict {

    /** @param fields the package dict's fields */
    public Dataset(Map<String, ?> fields) {
        super(fields);
    }

    /** @return a mutable copy */
    public Dataset copy() {
        return new Dataset(toMap());
    }

    /** @return {@code state}: {@code active} unless set otherwise */
    public String state() {
        String state = string("state");
        return state == null ? "active" : state;
    }

    /** @return {@code owner_org}, or {@code null} */
    public String ownerOrg() {
        return string("owner_org");
    }

    /** @return {@code metadata_modified} as stored (ISO-8601 without zone), or {@code null} */
    public String metadataModified() {
        return string("metadata_modified");
    }
}
