package dev.harvest.core.store;

/** The status of a harvest job, with ckanext-harvest's exact values. */
public enum JobStatus {
    NEW("New"),
    RUNNING("Running"),
    FINISHED("Finished"),
    ABORTED("Aborted");

    private final String value;

    JobStatus(String value) {
        this.value = value;
    }

    /** @return the value stored in {@code harvest_job.status} */
    public String value() {
        return value;
    }

    /**
     * @param value a stored value
     * @return the status
     */
    public static JobStatus of(String value) {
        for (JobStatus status : values()) {
            if (status.value.equals(value)) {
                return status;
            }
        }
        throw new IllegalArgumentException("Unknown job status " + value);
    }
}
