package dev.harvest.api;

/**
 * Keys of a source's config JSON that the engine reads itself, whatever the harvester. A harvester that rejects
 * unknown keys in {@link Harvester#validateConfig(String, ValidationContext)} must accept these (and may type-check
 * them).
 */
public final class EngineSourceKeys {

    /**
     * Boolean: delete the datasets that disappeared from a full listing even when they exceed the deletion guard's
     * share.
     */
    public static final String FORCE_DELETIONS = "force_deletions";

    /**
     * Number from 0 to 1: the largest share of the source's datasets one harvest may delete; overrides the site's
     * {@code harvest.deletion_guard.max_share}.
     */
    public static final String DELETION_GUARD_MAX_SHARE = "deletion_guard_max_share";

    /**
     * Boolean: let this source's imports update and delete datasets that another harvest source provides (whose
     * current harvest object belongs to the other source), and so take them over. Without it such an import errors
     * its object, naming the other source, and the dataset is left as it is.
     */
    public static final String ALLOW_TAKEOVER = "allow_takeover";

    /**
     * Whole number: the most objects one gather of this source may create; overrides the site's
     * {@code harvest.gather.max_objects}. A gather that reaches it stops with a gather error naming the bound, and
     * the job infers no deletions.
     */
    public static final String GATHER_MAX_OBJECTS = "gather_max_objects";

    /**
     * Whole number: the most seconds one gather of this source may run; overrides the site's
     * {@code harvest.gather.max_seconds}. A gather that exceeds it stops with a gather error naming the bound, and
     * the job infers no deletions.
     */
    public static final String GATHER_MAX_SECONDS = "gather_max_seconds";

    /**
     * Number from 0 up: how far (as a share of the remote's declared count) a listing may exceed the number of
     * records the remote declared before the gather stops; overrides the site's {@code harvest.gather.count_margin}.
     */
    public static final String GATHER_COUNT_MARGIN = "gather_count_margin";

    private EngineSourceKeys() {}
}
