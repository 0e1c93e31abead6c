package dev.harvest.core.store;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;

/**
 * A fetch worker's hold on one object: only the holder of the claim token can move the object on, so a worker that
 * lost its lease (and whose object another worker reclaimed) cannot overwrite the newer work.
 *
 * @param object the object as claimed; its {@code packageId} is the dataset an earlier harvest of its guid created,
 *     if the object has none of its own
 * @param job the object's job
 * @param source the object's source
 * @param token the claim token written to {@code claimed_by}
 * @param deliveries how many times the object has been claimed, this time included ({@code retry_times})
 * @param deletion whether the object stands for a remote record that disappeared (extra {@code status=delete})
 */
public record ObjectClaim(HarvestObject object, HarvestJob job, HarvestSource source, String token, int deliveries,
        boolean deletion) {}
