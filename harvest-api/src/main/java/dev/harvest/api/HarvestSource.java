package dev.harvest.api;

import java.util.Objects;

/**
 * A harvest source as a harvester sees it: a snapshot, not a live row.
 *
 * <p>Built with {@link #builder()}, so that a field added later does not break code that builds one (tests of
 * plugins, mostly):
 *
 * <pre>{@code
 * HarvestSource source = HarvestSource.builder()
 *         .id("s1").name("my-portal").url("https://data.example.org").type("ckan")
 *         .config("{\"default_tags\": [\"x\"]}")
 *         .build();
 * }</pre>
 */
public final class HarvestSource {

    private final String id;
    private final String name;
    private final String title;
    private final String url;
    private final String type;
    private final String config;
    private final String ownerOrg;
    private final String frequency;
    private final boolean active;

    private HarvestSource(Builder builder) {
        this.id = builder.id;
        this.name = builder.name;
        this.title = builder.title;
        this.url = builder.url;
        this.type = builder.type;
        this.config = builder.config == null ? "" : builder.config;
        this.ownerOrg = builder.ownerOrg;
        this.frequency = builder.frequency == null ? "MANUAL" : builder.frequency;
        this.active = builder.active;
    }

    /** @return a builder with {@code frequency} {@code MANUAL}, {@code active} true and an empty config */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this source's values, to make a changed copy */
    public Builder toBuilder() {
        return new Builder().id(id).name(name).title(title).url(url).type(type).config(config).ownerOrg(ownerOrg)
                .frequency(frequency).active(active);
    }

    /** @return the source id */
    public String id() {
        return id;
    }

    /** @return the source's unique name */
    public String name() {
        return name;
    }

    /** @return its title, or {@code null} */
    public String title() {
        return title;
    }

    /** @return the remote catalog's URL, as entered (trimmed) */
    public String url() {
        return url;
    }

    /** @return the name of the harvester that serves this source */
    public String type() {
        return type;
    }

    /** @return the validated configuration, usually a JSON object; empty string when none */
    public String config() {
        return config;
    }

    /** @return the local organization that owns harvested datasets, or {@code null} */
    public String ownerOrg() {
        return ownerOrg;
    }

    /**
     * @return {@code MANUAL}, {@code MONTHLY}, {@code WEEKLY}, {@code BIWEEKLY}, {@code DAILY}, {@code ALWAYS}, or a
     *     five-field cron expression with an optional IANA time zone, e.g. {@code 0 3 * * * Europe/Paris}
     */
    public String frequency() {
        return frequency;
    }

    /** @return whether the source may get new jobs */
    public boolean active() {
        return active;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HarvestSource that && active == that.active && Objects.equals(id, that.id)
                && Objects.equals(name, that.name) && Objects.equals(title, that.title) && Objects.equals(url, that.url)
                && Objects.equals(type, that.type) && config.equals(that.config)
                && Objects.equals(ownerOrg, that.ownerOrg) && frequency.equals(that.frequency);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, name, title, url, type, config, ownerOrg, frequency, active);
    }

    /** Leaves out the configuration, which may hold credentials. */
    @Override
    public String toString() {
        return "HarvestSource[id=" + id + ", name=" + name + ", type=" + type + ", url=" + url + ", active=" + active
                + "]";
    }

    /** Builds a {@link HarvestSource}; every field is optional. */
    public static final class Builder {
        private String id;
        private String name;
        private String title;
        private String url;
        private String type;
        private String config;
        private String ownerOrg;
        private String frequency;
        private boolean active = true;

        private Builder() {}

        /**
         * @param id the source id
         * @return this
         */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /**
         * @param name the source's unique name
         * @return this
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * @param title its title
         * @return this
         */
        public Builder title(String title) {
            this.title = title;
            return this;
        }

        /**
         * @param url the remote catalog's URL
         * @return this
         */
        public Builder url(String url) {
            this.url = url;
            return this;
        }

        /**
         * @param type the harvester name
         * @return this
         */
        public Builder type(String type) {
            this.type = type;
            return this;
        }

        /**
         * @param config the configuration, usually a JSON object; {@code null} reads as empty
         * @return this
         */
        public Builder config(String config) {
            this.config = config;
            return this;
        }

        /**
         * @param ownerOrg the owning organization, or {@code null}
         * @return this
         */
        public Builder ownerOrg(String ownerOrg) {
            this.ownerOrg = ownerOrg;
            return this;
        }

        /**
         * @param frequency the update frequency; {@code null} reads as {@code MANUAL}
         * @return this
         */
        public Builder frequency(String frequency) {
            this.frequency = frequency;
            return this;
        }

        /**
         * @param active whether the source may get new jobs
         * @return this
         */
        public Builder active(boolean active) {
            this.active = active;
            return this;
        }

        /** @return the source */
        public HarvestSource build() {
            return new HarvestSource(this);
        }
    }
}
