package dev.harvest.api.catalog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A CKAN dictionary: an ordered map of JSON-like values ({@code String}, {@code Number}, {@code Boolean},
 * {@code null}, {@code List} and {@code Map}). Every field is kept, known or not, so that a round trip through a
 * catalog loses nothing.
 */
public abstract class CkanDict {

    private final LinkedHashMap<String, Object> fields;

    /**
     * @param fields the dict's fields; copied
     */
    protected CkanDict(Map<String, ?> fields) {
        this.fields = new LinkedHashMap<>(Objects.requireNonNull(fields, "fields"));
    }

    /** @return the {@code id}, or {@code null} */
    public String id() {
        return string("id");
    }

    /** @return the {@code name}, or {@code null} */
    public String name() {
        return string("name");
    }

    /** @return the {@code title}, or {@code null} */
    public String title() {
        return string("title");
    }

    /**
     * @param key a field name
     * @return the field's value, or {@code null}
     */
    public Object get(String key) {
        return fields.get(key);
    }

    /**
     * @param key a field name
     * @return the field as a string ({@code toString()} of non-string values), or {@code null}
     */
    public String string(String key) {
        Object value = fields.get(key);
        return value == null ? null : value.toString();
    }

    /**
     * @param key a field name
     * @return whether the dict has that field, even with a {@code null} value
     */
    public boolean has(String key) {
        return fields.containsKey(key);
    }

    /**
     * Sets a field.
     *
     * @param key a field name
     * @param value a JSON-like value
     */
    public void put(String key, Object value) {
        fields.put(key, value);
    }

    /**
     * Removes a field.
     *
     * @param key a field name
     * @return the removed value, or {@code null}
     */
    public Object remove(String key) {
        return fields.remove(key);
    }

    /**
     * A field holding a list of dicts (e.g. {@code tags}, {@code resources}, {@code extras}), as a mutable list that
     * is stored back in the dict; created empty when absent.
     *
     * @param key a field name
     * @return the list
     */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> dictList(String key) {
        Object value = fields.get(key);
        if (value instanceof List<?> list) {
            List<Map<String, Object>> copy = new ArrayList<>();
            for (Object item : list) {
                if (item instanceof Map<?, ?> map) {
                    copy.add(new LinkedHashMap<>((Map<String, Object>) map));
                }
            }
            fields.put(key, copy);
            return copy;
        }
        List<Map<String, Object>> created = new ArrayList<>();
        fields.put(key, created);
        return created;
    }

    /** @return a mutable copy of all fields, in order */
    public Map<String, Object> toMap() {
        return new LinkedHashMap<>(fields);
    }

    @Override
    public boolean equals(Object other) {
        return other != null && other.getClass() == getClass() && ((CkanDict) other).fields.equals(fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + fields;
    }
}
