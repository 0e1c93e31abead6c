package dev.harvest.api;

/** What a fetch stage works with. */
public interface FetchContext {

    /** @return the object's source */
    HarvestSource source();

    /** @return the object's job */
    HarvestJob job();

    /** @return the object to fetch */
    HarvestObject object();

    /** @return the site-wide settings */
    Settings settings();

    /**
     * Records an object error (stage {@code Fetch}) without failing the object.
     *
     * @param message what went wrong
     */
    void recordError(String message);
}
