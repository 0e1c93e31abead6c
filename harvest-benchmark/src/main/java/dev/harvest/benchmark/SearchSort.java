package dev.harvest.benchmark;

import java.util.Comparator;
import java.util.Locale;

/**
 * The {@code sort} of {@code package_search}: the first of its comma-separated keys that is not {@code score},
 * among {@code id}, {@code name}, {@code metadata_modified} and {@code metadata_created}, {@code asc} or
 * {@code desc}; ties broken by id. Without a sort, CKAN's default {@code score desc, metadata_modified desc}.
 */
final class SearchSort {

    private final String field;
    private final boolean descending;

    private SearchSort(String field, boolean descending) {
        this.field = field;
        this.descending = descending;
    }

    static SearchSort parse(String sort) {
        String text = sort == null || sort.isBlank() ? "score desc, metadata_modified desc" : sort;
        for (String part : text.split(",")) {
            String[] words = part.strip().split("\\s+");
            if (words.length == 0 || words[0].isEmpty() || words[0].equals("score")) {
                continue;
            }
            String direction = words.length > 1 ? words[1].toLowerCase(Locale.ROOT) : "asc";
            if (!direction.equals("asc") && !direction.equals("desc")) {
                throw new IllegalArgumentException("Invalid sort direction '" + words[1] + "'");
            }
            switch (words[0]) {
                case "id", "name", "metadata_modified", "metadata_created" -> {
                    return new SearchSort(words[0], direction.equals("desc"));
                }
                default -> throw new IllegalArgumentException("Unsupported sort field '" + words[0] + "'");
            }
        }
        return new SearchSort("id", false);
    }

    boolean isIdAscending() {
        return field.equals("id") && !descending;
    }

    String key() {
        return field + (descending ? " desc" : " asc");
    }

    /** @return the order, or null for id ascending (the order entries are kept in) */
    Comparator<SyntheticPortal.Entry> comparator() {
        Comparator<SyntheticPortal.Entry> byId = Comparator.comparing(SyntheticPortal.Entry::id);
        Comparator<SyntheticPortal.Entry> order = switch (field) {
            case "name" -> Comparator.comparing(SyntheticPortal.Entry::name);
            case "metadata_modified" -> Comparator.comparingLong(SyntheticPortal.Entry::modifiedMicros);
            case "metadata_created" -> Comparator.comparingLong(SyntheticPortal.Entry::createdMicros);
            default -> byId;
        };
        if (descending) {
            order = order.reversed();
        }
        if (isIdAscending()) {
            return null;
        }
        return order.thenComparing(byId);
    }
}
