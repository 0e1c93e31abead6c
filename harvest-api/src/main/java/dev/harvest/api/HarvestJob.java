package dev.harvest.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A harvest job as a harvester sees it. Built with {@link #builder()}.
 */
public final class HarvestJob {

    private final String id;
    private final String sourceId;
    private final String status;
    private final Instant created;
    private final Instant gatherStarted;
    private final Instant gatherFinished;
    private final Instant finished;

    private HarvestJob(Builder builder) {
        this.id = builder.id;
        this.sourceId = builder.sourceId;
        this.status = builder.status == null ? "New" : builder.status;
        this.created = builder.created;
        this.gatherStarted = builder.gatherStarted;
        this.gatherFinished = builder.gatherFinished;
        this.finished = builder.finished;
    }

    /** @return a builder with status {@code New} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this job's values, to make a changed copy */
    public Builder toBuilder() {
        return new Builder().id(id).sourceId(sourceId).status(status).created(created).gatherStarted(gatherStarted)
                .gatherFinished(gatherFinished).finished(finished);
    }

    /** @return the job id */
    public String id() {
        return id;
    }

    /** @return the id of the job's source */
    public String sourceId() {
        return sourceId;
    }

    /** @return {@code New}, {@code Running}, {@code Finished} or {@code Aborted} */
    public String status() {
        return status;
    }

    /** @return when the job was created (UTC), or {@code null} */
    public Instant created() {
        return created;
    }

    /** @return when its gather started, or {@code null} */
    public Instant gatherStarted() {
        return gatherStarted;
    }

    /** @return when its gather finished, or {@code null} */
    public Instant gatherFinished() {
        return gatherFinished;
    }

    /** @return when it finished, or {@code null} */
    public Instant finished() {
        return finished;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HarvestJob that && Objects.equals(id, that.id)
                && Objects.equals(sourceId, that.sourceId) && status.equals(that.status)
                && Objects.equals(created, that.created) && Objects.equals(gatherStarted, that.gatherStarted)
                && Objects.equals(gatherFinished, that.gatherFinished) && Objects.equals(finished, that.finished);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, sourceId, status, created, gatherStarted, gatherFinished, finished);
    }

    @Override
    public String toString() {
        return "HarvestJob[id=" + id + ", sourceId=" + sourceId + ", status=" + status + "]";
    }

    /** Builds a {@link HarvestJob}; every field is optional. */
    public static final class Builder {
        private String id;
        private String sourceId;
        private String status;
        private Instant created;
        private Instant gatherStarted;
        private Instant gatherFinished;
        private Instant finished;

        private Builder() {}

        /**
         * @param id the job id
         * @return this
         */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /**
         * @param sourceId the id of its source
         * @return this
         */
        public Builder sourceId(String sourceId) {
            this.sourceId = sourceId;
            return this;
        }

        /**
         * @param status {@code New}, {@code Running}, {@code Finished} or {@code Aborted}
         * @return this
         */
        public Builder status(String status) {
            this.status = status;
            return this;
        }

        /**
         * @param created when the job was created
         * @return this
         */
        public Builder created(Instant created) {
            this.created = created;
            return this;
        }

        /**
         * @param gatherStarted when its gather started
         * @return this
         */
        public Builder gatherStarted(Instant gatherStarted) {
            this.gatherStarted = gatherStarted;
            return this;
        }

        /**
         * @param gatherFinished when its gather finished
         * @return this
         */
        public Builder gatherFinished(Instant gatherFinished) {
            this.gatherFinished = gatherFinished;
            return this;
        }

        /**
         * @param finished when it finished
         * @return this
         */
        public Builder finished(Instant finished) {
            this.finished = finished;
            return this;
        }

        /** @return the job */
        public HarvestJob build() {
            return new HarvestJob(this);
        }
    }
}
