package dev.harvest.core.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CKAN site's {@code .ini} file (PasteDeploy over Python's {@code ConfigParser}), read as CKAN reads it:
 * {@code [section]} headers, {@code key = value} or {@code key: value} lines (keys lower-cased), indented continuation
 * lines, {@code #} and {@code ;} comment lines, {@code [DEFAULT]} values shared by every section, and
 * {@code %(name)s} interpolation with {@code here} (the file's folder) and {@code __file__} predefined.
 *
 * <p>Harvest takes from {@code [app:main]} the keys it may know (see {@link #isHarvestFamily}); every other CKAN key
 * ({@code use}, {@code beaker.*}, {@code ckan.plugins}, ...) is left out.
 */
public final class CkanIniFile {

    /** The section CKAN's application settings live in. */
    public static final String APP_SECTION = "app:main";

    private static final Pattern SECTION = Pattern.compile("^\\[([^\\]]+)\\]\\s*$");
    private static final Pattern OPTION = Pattern.compile("^(.*?)\\s*[=:]\\s*(.*)$");
    private static final Pattern INTERPOLATION = Pattern.compile("%\\(([^)]+)\\)s");
    /** ConfigParser's limit on nested interpolation. */
    private static final int MAX_DEPTH = 10;

    private final Path file;
    private final Map<String, Map<String, String>> sections;

    private CkanIniFile(Path file, Map<String, Map<String, String>> sections) {
        this.file = file;
        this.sections = sections;
    }

    /**
     * @param text a configuration file's content
     * @return whether it is an INI file: its first line that is not blank or a comment is a {@code [section]} header
     *     (a properties file has none)
     */
    public static boolean looksLikeIni(String text) {
        for (String line : text.lines().toList()) {
            String stripped = line.strip();
            if (stripped.isEmpty() || stripped.startsWith("#") || stripped.startsWith(";")
                    || stripped.startsWith("!")) {
                continue;
            }
            return SECTION.matcher(stripped).matches();
        }
        return false;
    }

    /**
     * Parses a file's content.
     *
     * @param file the file, whose folder is {@code %(here)s}
     * @param text its content
     * @return the parsed file
     * @throws ConfigException naming the line that is not a section, an option or a continuation
     */
    public static CkanIniFile parse(Path file, String text) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        Map<String, String> current = null;
        String lastKey = null;
        List<String> lines = text.lines().toList();
        for (int number = 1; number <= lines.size(); number++) {
            String line = lines.get(number - 1);
            String stripped = line.strip();
            if (stripped.isEmpty()) {
                lastKey = null;
                continue;
            }
            if (stripped.startsWith("#") || stripped.startsWith(";")) {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0)) && lastKey != null) {
                current.merge(lastKey, stripped, (before, more) -> before + "\n" + more);
                continue;
            }
            Matcher section = SECTION.matcher(stripped);
            if (section.matches()) {
                current = sections.computeIfAbsent(section.group(1).strip(), name -> new LinkedHashMap<>());
                lastKey = null;
                continue;
            }
            Matcher option = OPTION.matcher(stripped);
            if (current == null || !option.matches() || option.group(1).isEmpty()) {
                throw new ConfigException("Cannot read the CKAN configuration file " + file + ", line " + number
                        + ": expected [section], key = value or an indented continuation, not '" + stripped + "'");
            }
            lastKey = option.group(1).strip().toLowerCase(Locale.ROOT);
            current.put(lastKey, option.group(2).strip());
        }
        return new CkanIniFile(file, sections);
    }

    /** @return the section names, in file order */
    public Set<String> sections() {
        return sections.keySet();
    }

    /**
     * The keys of {@code [app:main]} and {@code [DEFAULT]} as {@code ConfigParser} presents them, interpolated.
     *
     * @return the interpolated keys harvest may know (see {@link #isHarvestFamily}), in file order, and the names
     *     of the others
     * @throws ConfigException if there is no {@code [app:main]}, or an interpolation names a missing key
     */
    public Extracted appSettings() {
        Map<String, String> app = sections.get(APP_SECTION);
        if (app == null) {
            throw new ConfigException("The CKAN configuration file " + file + " has no [" + APP_SECTION
                    + "] section (sections: " + String.join(", ", sections.keySet()) + ")");
        }
        Map<String, String> raw = rawItems(APP_SECTION);
        Map<String, String> taken = new LinkedHashMap<>();
        Set<String> left = new LinkedHashSet<>();
        for (String key : raw.keySet()) {
            if (isHarvestFamily(key)) {
                taken.put(key, interpolate(raw, key, raw.get(key), 0));
            } else {
                left.add(key);
            }
        }
        return new Extracted(taken, left);
    }

    /**
     * What {@link #appSettings} found.
     *
     * @param settings the keys harvest may know, with their values
     * @param otherKeys CKAN's other keys, left out
     */
    public record Extracted(Map<String, String> settings, Set<String> otherKeys) {}

    /**
     * @param key an {@code [app:main]} key
     * @return whether harvest may know it: {@code sqlalchemy.url}, {@code ckan.site_id}, {@code ckan.site_url},
     *     {@code ckan.site_title}, {@code ckan.redis.url}, {@code ckan.harvest.*}, {@code ckanext.harvest.*},
     *     {@code smtp.*} and harvest's own {@code harvest.*}
     */
    public static boolean isHarvestFamily(String key) {
        return key.equals("sqlalchemy.url") || key.equals("ckan.site_id") || key.equals("ckan.site_url")
                || key.equals("ckan.site_title") || key.equals("ckan.redis.url") || key.startsWith("ckan.harvest.")
                || key.startsWith("ckanext.harvest.") || key.startsWith("smtp.") || key.startsWith("harvest.");
    }

    /** The section's items over {@code [DEFAULT]}'s, over the predefined {@code here} and {@code __file__}. */
    private Map<String, String> rawItems(String section) {
        Map<String, String> items = new LinkedHashMap<>();
        Path absolute = file.toAbsolutePath();
        Path folder = absolute.getParent();
        items.put("here", folder == null ? "" : folder.toString());
        items.put("__file__", absolute.toString());
        items.putAll(sections.getOrDefault("DEFAULT", Map.of()));
        items.putAll(sections.get(section));
        return items;
    }

    private String interpolate(Map<String, String> items, String key, String value, int depth) {
        if (depth > MAX_DEPTH) {
            throw new ConfigException("The CKAN configuration file " + file + ": [" + APP_SECTION + "] " + key
                    + " nests %(...)s more than " + MAX_DEPTH + " deep");
        }
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < value.length()) {
            int percent = value.indexOf('%', at);
            if (percent < 0) {
                out.append(value, at, value.length());
                break;
            }
            out.append(value, at, percent);
            if (value.startsWith("%%", percent)) {
                out.append('%');
                at = percent + 2;
                continue;
            }
            Matcher reference = INTERPOLATION.matcher(value).region(percent, value.length());
            if (!reference.lookingAt()) {
                throw new ConfigException("The CKAN configuration file " + file + ": [" + APP_SECTION + "] " + key
                        + ": '%' must be followed by '%' or '(name)s', in '" + value + "'");
            }
            String name = reference.group(1).toLowerCase(Locale.ROOT);
            String referenced = items.get(name);
            if (referenced == null) {
                throw new ConfigException("The CKAN configuration file " + file + ": [" + APP_SECTION + "] " + key
                        + " refers to %(" + name + ")s, which is neither in that section nor in [DEFAULT]");
            }
            out.append(interpolate(items, name, referenced, depth + 1));
            at = reference.end();
        }
        return out.toString();
    }
}
