package dev.harvest.core.store;

import dev.harvest.api.HarvestObject;

/**
 * A fetch worker's hold on one object: only the holder of the claim token can move the object on, so a worker that
 * lost its lease (and whose object another worker reclaimed) cannot overwrite the newer work.
 *
 * @param object the object as claimed
 * @param token the claim token written to {@code claimed_by}
 * @param deliveries how many times the object has been claimed, this time included ({@code retry_times})
 * @param deletion whether the object stands for a remote record that disappeared (extra {@code status=delete})
 */
public record ObjectClaim(HarvestObject object, String token, int deliveries, boolean deletion) {}
