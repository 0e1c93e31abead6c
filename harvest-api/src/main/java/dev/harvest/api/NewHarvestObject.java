package dev.harvest.api;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One remote record found by a gather, handed to {@link GatherContext#emit(NewHarvestObject)}.
 *
 * @param guid the record's identity at the source; stable across harvests, unique within the source
 * @param content the document, if the listing already carries it (then fetch has nothing to do); may be
 *     {@code null}
 * @param metadataModified the remote modification date, if known; may be {@code null}
 * @param extras free key/value metadata kept with the object; never {@code null}
 */
public record NewHarvestObject(String guid, String content, Instant metadataModified, Map<String, String> extras) {

    /**
     * Checks the guid and copies the extras.
     *
     * @param guid the record's identity at the source
     * @param content the document, or {@code null}
     * @param metadataModified the remote modification date, or {@code null}
     * @param extras free key/value metadata, or {@code null} for none
     * @throws IllegalArgumentException if the guid is blank
     */
    public NewHarvestObject {
        Objects.requireNonNull(guid, "guid");
        if (guid.isBlank()) {
            throw new IllegalArgumentException("A harvest object needs a non-blank guid");
        }
        extras = extras == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(extras));
    }

    /**
     * A record known only by its guid; fetch will get its content.
     *
     * @param guid the record's identity at the source
     * @return the new object
     */
    public static NewHarvestObject of(String guid) {
        return new NewHarvestObject(guid, null, null, Map.of());
    }

    /**
     * A record whose content the listing already carries.
     *
     * @param guid the record's identity at the source
     * @param content the document
     * @return the new object
     */
    public static NewHarvestObject withContent(String guid, String content) {
        return new NewHarvestObject(guid, content, null, Map.of());
    }
}
