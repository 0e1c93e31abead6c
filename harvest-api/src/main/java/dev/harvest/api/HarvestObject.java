package dev.harvest.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A harvest object as a harvester sees it: one remote record within one job. Built with {@link #builder()}.
 */
public final class HarvestObject {

    private final String id;
    private final String guid;
    private final String jobId;
    private final String sourceId;
    private final String content;
    private final Instant metadataModified;
    private final String packageId;
    private final Map<String, String> extras;

    private HarvestObject(Builder builder) {
        this.id = builder.id;
        this.guid = builder.guid;
        this.jobId = builder.jobId;
        this.sourceId = builder.sourceId;
        this.content = builder.content;
        this.metadataModified = builder.metadataModified;
        this.packageId = builder.packageId;
        this.extras = builder.extras == null ? Map.of() : Map.copyOf(builder.extras);
    }

    /** @return a builder with no extras */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this object's values, to make a changed copy */
    public Builder toBuilder() {
        return new Builder().id(id).guid(guid).jobId(jobId).sourceId(sourceId).content(content)
                .metadataModified(metadataModified).packageId(packageId).extras(extras);
    }

    /** @return the object id */
    public String id() {
        return id;
    }

    /** @return the record's identity at the source (for CKAN, the remote dataset id) */
    public String guid() {
        return guid;
    }

    /** @return the job that gathered it */
    public String jobId() {
        return jobId;
    }

    /** @return its source's id */
    public String sourceId() {
        return sourceId;
    }

    /** @return the raw remote document, or {@code null} before fetch */
    public String content() {
        return content;
    }

    /** @return the remote modification date the harvester recorded, or {@code null} */
    public Instant metadataModified() {
        return metadataModified;
    }

    /**
     * @return the local dataset this object's record maps to, if a previous harvest imported it; else {@code null}
     */
    public String packageId() {
        return packageId;
    }

    /** @return free key/value metadata recorded at gather time; never {@code null} */
    public Map<String, String> extras() {
        return extras;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HarvestObject that && Objects.equals(id, that.id) && Objects.equals(guid, that.guid)
                && Objects.equals(jobId, that.jobId) && Objects.equals(sourceId, that.sourceId)
                && Objects.equals(content, that.content) && Objects.equals(metadataModified, that.metadataModified)
                && Objects.equals(packageId, that.packageId) && extras.equals(that.extras);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, guid, jobId, sourceId, content, metadataModified, packageId, extras);
    }

    /** Leaves out the content, which can be large. */
    @Override
    public String toString() {
        return "HarvestObject[id=" + id + ", guid=" + guid + ", jobId=" + jobId + ", packageId=" + packageId + "]";
    }

    /** Builds a {@link HarvestObject}; every field is optional. */
    public static final class Builder {
        private String id;
        private String guid;
        private String jobId;
        private String sourceId;
        private String content;
        private Instant metadataModified;
        private String packageId;
        private Map<String, String> extras;

        private Builder() {}

        /**
         * @param id the object id
         * @return this
         */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /**
         * @param guid the record's identity at the source
         * @return this
         */
        public Builder guid(String guid) {
            this.guid = guid;
            return this;
        }

        /**
         * @param jobId the job that gathered it
         * @return this
         */
        public Builder jobId(String jobId) {
            this.jobId = jobId;
            return this;
        }

        /**
         * @param sourceId its source's id
         * @return this
         */
        public Builder sourceId(String sourceId) {
            this.sourceId = sourceId;
            return this;
        }

        /**
         * @param content the raw remote document
         * @return this
         */
        public Builder content(String content) {
            this.content = content;
            return this;
        }

        /**
         * @param metadataModified the remote modification date
         * @return this
         */
        public Builder metadataModified(Instant metadataModified) {
            this.metadataModified = metadataModified;
            return this;
        }

        /**
         * @param packageId the local dataset of this record
         * @return this
         */
        public Builder packageId(String packageId) {
            this.packageId = packageId;
            return this;
        }

        /**
         * @param extras key/value metadata; copied
         * @return this
         */
        public Builder extras(Map<String, String> extras) {
            this.extras = extras;
            return this;
        }

        /** @return the object */
        public HarvestObject build() {
            return new HarvestObject(this);
        }
    }
}
