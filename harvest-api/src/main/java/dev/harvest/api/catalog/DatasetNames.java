package dev.harvest.api.catalog;

import java.text.Normalizer;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CKAN's naming rules, for harvesters that create datasets: {@code munge_title_to_name}, {@code munge_tag} and
 * ckanext-harvest's unique-name algorithm ({@code _ensure_name_is_unique}).
 */
public final class DatasetNames {

    /** CKAN's {@code PACKAGE_NAME_MAX_LENGTH}. */
    public static final int MAX_NAME_LENGTH = 100;

    private static final int MIN_NAME_LENGTH = 2;
    private static final int MAX_TAG_LENGTH = 100;
    private static final int MIN_TAG_LENGTH = 2;
    private static final Pattern TRAILING_YEAR = Pattern.compile(".*?[_-]((?:\\d{2,4}[-/])?\\d{2,4})$");

    /** How a clashing name gets a suffix: {@code ckanext.harvest.default_dataset_name_append}. */
    public enum AppendType {
        /** {@code trees}, {@code trees1}, {@code trees2}, ... up to 999. */
        NUMBER_SEQUENCE("number-sequence"),
        /** {@code trees} followed by five random hex digits. */
        RANDOM_HEX("random-hex");

        private final String configValue;

        AppendType(String configValue) {
            this.configValue = configValue;
        }

        /** @return the value used in configuration */
        public String configValue() {
            return configValue;
        }

        /**
         * @param value {@code number-sequence} or {@code random-hex}
         * @return the append type
         * @throws IllegalArgumentException for any other value
         */
        public static AppendType fromConfig(String value) {
            for (AppendType type : values()) {
                if (type.configValue.equals(value)) {
                    return type;
                }
            }
            throw new IllegalArgumentException(
                    "ckanext.harvest.default_dataset_name_append must be number-sequence or random-hex, not '"
                            + value + "'");
        }
    }

    private DatasetNames() {}

    /**
     * CKAN's {@code munge_title_to_name}: a title made into a valid dataset name.
     *
     * @param title any text
     * @return lowercase letters, digits, {@code -} and {@code _}; 2 to 100 characters
     */
    public static String mungeTitleToName(String title) {
        String name = asciiEquivalents(title == null ? "" : title);
        name = name.replaceAll("[ .:/]", "-");
        name = name.replaceAll("[^a-zA-Z0-9_-]", "").toLowerCase(Locale.ROOT);
        name = name.replaceAll("-+", "-");
        name = stripHyphens(name);
        int maxLength = MAX_NAME_LENGTH - 5;
        if (name.length() > maxLength) {
            Matcher year = TRAILING_YEAR.matcher(name);
            if (year.matches()) {
                String suffix = year.group(1);
                name = name.substring(0, maxLength - suffix.length() - 1) + "-" + suffix;
            } else {
                name = name.substring(0, maxLength);
            }
        }
        return toLength(name, MIN_NAME_LENGTH, MAX_NAME_LENGTH);
    }

    /**
     * CKAN's {@code munge_tag}: idempotent, so munging a munged tag changes nothing.
     *
     * @param tag a tag name
     * @return lowercase letters, digits and {@code -}; 2 to 100 characters
     */
    public static String mungeTag(String tag) {
        String munged = asciiEquivalents(tag == null ? "" : tag).toLowerCase(Locale.ROOT).strip();
        munged = munged.replaceAll("[^a-zA-Z0-9\\- ]", "").replace(' ', '-');
        return toLength(munged, MIN_TAG_LENGTH, MAX_TAG_LENGTH);
    }

    /**
     * ckanext-harvest's {@code _gen_new_name}: the munged title, made unique in the catalog.
     *
     * @param catalog where names must be unique
     * @param title the dataset's title or remote name
     * @param appendType how to de-clash
     * @return a name no other dataset has
     * @throws CatalogException if the catalog cannot be read, or no unique name is left
     */
    public static String newUniqueName(Catalog catalog, String title, AppendType appendType)
            throws CatalogException {
        String ideal = mungeTitleToName(title).replaceAll("-+", "-");
        return ensureUnique(catalog, ideal, null, appendType);
    }

    /**
     * ckanext-harvest's {@code _ensure_name_is_unique}.
     *
     * @param catalog where names must be unique
     * @param idealName the wanted name
     * @param existingName the dataset's current name when renaming it, or {@code null} for a new dataset
     * @param appendType how to de-clash
     * @return the ideal name if free, else the existing name if it still fits, else a suffixed name
     * @throws CatalogException if the catalog cannot be read, or all 999 numbered names are taken
     */
    public static String ensureUnique(Catalog catalog, String idealName, String existingName, AppendType appendType)
            throws CatalogException {
        String ideal = idealName.length() > MAX_NAME_LENGTH ? idealName.substring(0, MAX_NAME_LENGTH) : idealName;
        if (ideal.equals(existingName) || !catalog.isDatasetNameTaken(ideal)) {
            return ideal;
        }
        if (existingName != null && existingName.startsWith(ideal)) {
            return existingName;
        }
        if (appendType == AppendType.RANDOM_HEX) {
            String prefix = ideal.length() > MAX_NAME_LENGTH - 5 ? ideal.substring(0, MAX_NAME_LENGTH - 5) : ideal;
            return prefix + UUID.randomUUID().toString().substring(0, 5);
        }
        for (int n = 1; n <= 999; n++) {
            String suffix = Integer.toString(n);
            int keep = Math.min(ideal.length(), MAX_NAME_LENGTH - suffix.length());
            String candidate = ideal.substring(0, keep) + suffix;
            if (candidate.equals(existingName) || !catalog.isDatasetNameTaken(candidate)) {
                return candidate;
            }
        }
        throw new CatalogException("No unique dataset name left for '" + ideal + "': " + ideal + "1 to " + ideal
                + "999 are all taken");
    }

    private static String asciiEquivalents(String text) {
        String decomposed = Normalizer.normalize(text, Normalizer.Form.NFKD);
        StringBuilder out = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); i++) {
            char c = decomposed.charAt(i);
            switch (c) {
                case 'ß' -> out.append("ss");
                case 'æ' -> out.append("ae");
                case 'Æ' -> out.append("AE");
                case 'ø' -> out.append('o');
                case 'Ø' -> out.append('O');
                case 'đ' -> out.append('d');
                case 'Đ' -> out.append('D');
                case 'ł' -> out.append('l');
                case 'Ł' -> out.append('L');
                case 'þ' -> out.append("th");
                case 'Þ' -> out.append("TH");
                default -> {
                    if (c < 128) {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static String stripHyphens(String name) {
        int start = 0;
        int end = name.length();
        while (start < end && name.charAt(start) == '-') {
            start++;
        }
        while (end > start && name.charAt(end - 1) == '-') {
            end--;
        }
        return name.substring(start, end);
    }

    private static String toLength(String value, int min, int max) {
        StringBuilder padded = new StringBuilder(value);
        while (padded.length() < min) {
            padded.append('_');
        }
        return padded.length() > max ? padded.substring(0, max) : padded.toString();
    }
}
