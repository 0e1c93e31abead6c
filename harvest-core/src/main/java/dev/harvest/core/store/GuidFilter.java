package dev.harvest.core.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The stored form of a job's guid filter ({@code harvest_job.guid_filter}): a JSON array of guids. */
final class GuidFilter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GuidFilter() {}

    static String encode(Collection<String> guids) {
        try {
            return JSON.writeValueAsString(List.copyOf(new LinkedHashSet<>(guids)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode guids " + guids, e);
        }
    }

    static Set<String> decode(String stored) {
        try {
            return new LinkedHashSet<>(JSON.readValue(stored, new TypeReference<List<String>>() {}));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("harvest_job.guid_filter is not a JSON array of guids: " + stored, e);
        }
    }
}
