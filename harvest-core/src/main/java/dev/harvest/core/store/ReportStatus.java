package dev.harvest.core.store;

/** What happened to an object's dataset, with ckanext-harvest's exact values. */
public enum ReportStatus {
    ADDED("added"),
    UPDATED("updated"),
    NOT_MODIFIED("not modified"),
    DELETED("deleted"),
    ERRORED("errored");

    private final String value;

    ReportStatus(String value) {
        this.value = value;
    }

    /** @return the value stored in {@code harvest_object.report_status} */
    public String value() {
        return value;
    }
}
