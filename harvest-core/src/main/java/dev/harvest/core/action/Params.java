package dev.harvest.core.action;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An action's parameters as CKAN receives them: a JSON body's values, or query and form parameters (text, a repeated
 * one as a list). Readers convert as CKAN's validators do and throw {@link ActionException.Validation} naming the
 * field.
 */
public final class Params {

    private final Map<String, Object> values;

    /** @param values the parameters by name */
    public Params(Map<String, ?> values) {
        this.values = new LinkedHashMap<>(values == null ? Map.of() : values);
    }

    /** @return the parameters by name */
    public Map<String, Object> asMap() {
        return java.util.Collections.unmodifiableMap(values);
    }

    /**
     * @param key a parameter
     * @return whether it was given (even empty or null)
     */
    public boolean has(String key) {
        return values.containsKey(key);
    }

    /**
     * @param key a parameter
     * @return its value as text (the first of a list); null if absent or JSON null
     */
    public String string(String key) {
        Object value = values.get(key);
        if (value instanceof Collection<?> list) {
            value = list.isEmpty() ? null : list.iterator().next();
        }
        if (value == null) {
            return null;
        }
        if (value instanceof Map<?, ?> || value instanceof Collection<?>) {
            throw ActionException.Validation.of(key, "Must be a string, not a JSON object or list");
        }
        return value.toString();
    }

    /**
     * @param key a parameter
     * @return its text, stripped, or empty if absent or blank
     */
    public Optional<String> text(String key) {
        String value = string(key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    /**
     * @param key a parameter
     * @return its text, stripped
     * @throws ActionException.Validation {@code Missing value} when absent or blank
     */
    public String required(String key) {
        return text(key).orElseThrow(() -> ActionException.Validation.of(key, "Missing value"));
    }

    /**
     * CKAN's {@code asbool}: {@code true/yes/on/y/t/1} and {@code false/no/off/n/f/0} in any case, or a JSON
     * boolean.
     *
     * @param key a parameter
     * @param fallback the value when absent or blank
     * @return the value
     */
    public boolean bool(String key, boolean fallback) {
        Object value = values.get(key);
        if (value instanceof Boolean b) {
            return b;
        }
        Optional<String> text = text(key);
        if (text.isEmpty()) {
            return fallback;
        }
        return switch (text.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "y", "t", "1" -> true;
            case "false", "no", "off", "n", "f", "0" -> false;
            default -> throw ActionException.Validation.of(key, "Value must be one of: true, false, yes, no, on,"
                    + " off, 1, 0; not '" + text.get() + "'");
        };
    }

    /**
     * @param key a parameter
     * @param fallback the value when absent, or not an integer (as {@code harvest_log_list} reads {@code limit})
     * @return the value
     */
    public int integerOr(String key, int fallback) {
        Object value = values.get(key);
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
            return number.intValue();
        }
        Optional<String> text = text(key);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.get());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /**
     * @param key a parameter
     * @param fallback the value when absent
     * @param min the least value allowed
     * @return the value
     * @throws ActionException.Validation if it is not an integer of at least {@code min}
     */
    public int integer(String key, int fallback, int min) {
        Object value = values.get(key);
        Optional<String> text = text(key);
        if (text.isEmpty()) {
            return fallback;
        }
        int parsed;
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
            parsed = number.intValue();
        } else {
            try {
                parsed = Integer.parseInt(text.get());
            } catch (NumberFormatException e) {
                throw ActionException.Validation.of(key, "Invalid integer");
            }
        }
        if (parsed < min) {
            throw ActionException.Validation.of(key, "Must be at least " + min);
        }
        return parsed;
    }

    /**
     * @param key a parameter
     * @return a JSON list's items, or a comma-separated text's parts, stripped and without blanks
     */
    public List<String> list(String key) {
        Object value = values.get(key);
        List<String> items = new ArrayList<>();
        if (value instanceof Collection<?> collection) {
            collection.forEach(item -> {
                if (item != null) {
                    items.addAll(List.of(item.toString().split(",")));
                }
            });
        } else if (value != null) {
            items.addAll(List.of(value.toString().split(",")));
        }
        return items.stream().map(String::strip).filter(item -> !item.isEmpty()).toList();
    }
}
