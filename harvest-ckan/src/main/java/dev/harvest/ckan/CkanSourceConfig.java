package dev.harvest.ckan;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.EngineSourceKeys;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of a CKAN harvest source: the JSON object documented in the module README, parsed.
 *
 * <p>{@link #validate(String, Catalog)} checks a configuration as entered, with ckanext-harvest's messages where it
 * had them; {@link #parse(String)} reads a stored (validated) one. Unknown keys are kept in {@link #raw()}.
 *
 * <p>Immutable, nested lists and dicts included, so one parsed configuration may serve every object of a source
 * from several threads; the accessors that return dicts return fresh mutable copies.
 */
public final class CkanSourceConfig {

    /** The {@code default_extras} placeholders, without braces. */
    public static final Set<String> PLACEHOLDERS = Set.of("dataset_id", "harvest_source_id", "harvest_source_url",
            "harvest_source_title", "harvest_job_id", "harvest_object_id");

    /** The values of {@code remote_groups} and {@code remote_orgs} that enable them. */
    public enum RemoteMode {
        /** Keep remote groups/organizations that exist locally. */
        ONLY_LOCAL,
        /** Also create the missing ones from the remote's description. */
        CREATE;

        static Optional<RemoteMode> of(Object value) {
            if ("only_local".equals(value)) {
                return Optional.of(ONLY_LOCAL);
            }
            if ("create".equals(value)) {
                return Optional.of(CREATE);
            }
            return Optional.empty();
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{|}}|\\{([^{}]*)}");

    private final Map<String, Object> raw;
    private final String digest;

    @SuppressWarnings("unchecked")
    private CkanSourceConfig(Map<String, Object> raw, String text) {
        this.raw = (Map<String, Object>) frozen(raw);
        this.digest = sha256(text == null ? "" : text.trim());
    }

    /**
     * Reads a stored configuration without checking it (it was checked when stored).
     *
     * @param config the source's configuration; blank means none
     * @return the configuration
     * @throws ConfigValidationException if it is not a JSON object
     */
    public static CkanSourceConfig parse(String config) throws ConfigValidationException {
        return new CkanSourceConfig(readObject(config), config);
    }

    /**
     * Checks a configuration as entered and returns the one to store: the same JSON, plus
     * {@code default_group_dicts} (the local groups that {@code default_groups} names) when groups are given.
     *
     * @param config the configuration as entered; blank is accepted unchanged
     * @param catalog the local catalog, to resolve {@code default_groups}
     * @return the configuration to store
     * @throws ConfigValidationException naming the first offending key
     */
    public static String validate(String config, Catalog catalog) throws ConfigValidationException {
        if (config == null || config.isBlank()) {
            return config == null ? "" : config;
        }
        Map<String, Object> values = readObject(config);
        boolean rewritten = false;

        if (values.containsKey("api_version") && !isIntegral(values.get("api_version"))) {
            throw new ConfigValidationException("api_version must be an integer");
        }
        if (values.containsKey("default_tags")) {
            if (!(values.get("default_tags") instanceof List<?> tags)) {
                throw new ConfigValidationException("default_tags must be a list");
            }
            for (Object tag : tags) {
                if (!(tag instanceof Map<?, ?> dict) || !(dict.get("name") instanceof String name) || name.isBlank()) {
                    throw new ConfigValidationException("default_tags must be a list of dictionaries");
                }
            }
        }
        if (values.containsKey("default_groups")) {
            if (!(values.get("default_groups") instanceof List<?> groups)) {
                throw new ConfigValidationException("default_groups must be a *list* of group names/ids");
            }
            List<Map<String, Object>> dicts = new ArrayList<>();
            for (Object group : groups) {
                if (!(group instanceof String idOrName)) {
                    throw new ConfigValidationException(
                            "default_groups must be a list of group names/ids (i.e. strings)");
                }
                dicts.add(groupReference(lookUpGroup(catalog, idOrName)
                        .orElseThrow(() -> new ConfigValidationException(
                                "Default group not found: '" + idOrName + "'"))));
            }
            values.put("default_group_dicts", dicts);
            rewritten = true;
        }
        if (values.containsKey("default_extras")) {
            if (!(values.get("default_extras") instanceof Map<?, ?> extras)) {
                throw new ConfigValidationException("default_extras must be a dictionary");
            }
            for (Map.Entry<?, ?> extra : extras.entrySet()) {
                if (extra.getValue() instanceof String template) {
                    checkPlaceholders(String.valueOf(extra.getKey()), template);
                }
            }
        }
        if (values.containsKey("organizations_filter_include") && values.containsKey("organizations_filter_exclude")) {
            throw new ConfigValidationException("Harvest configuration cannot contain both "
                    + "organizations_filter_include and organizations_filter_exclude");
        }
        if (values.containsKey("groups_filter_include") && values.containsKey("groups_filter_exclude")) {
            throw new ConfigValidationException("Harvest configuration cannot contain both groups_filter_include "
                    + "and groups_filter_exclude");
        }
        for (String key : List.of("organizations_filter_include", "organizations_filter_exclude",
                "groups_filter_include", "groups_filter_exclude")) {
            if (values.containsKey(key) && !isListOfNonBlankStrings(values.get(key))) {
                throw new ConfigValidationException(key + " must be a list of names");
            }
        }
        if (values.containsKey("user")
                && !(values.get("user") instanceof String user && !user.isBlank())) {
            throw new ConfigValidationException("user must be a non-blank user name");
        }
        for (String key : List.of("read_only", "force_all", "override_extras", "clean_tags", "include_private",
                EngineSourceKeys.FORCE_DELETIONS, EngineSourceKeys.ALLOW_TAKEOVER)) {
            if (values.containsKey(key) && !(values.get(key) instanceof Boolean)) {
                throw new ConfigValidationException(key + " must be boolean");
            }
        }
        for (String key : List.of("remote_groups", "remote_orgs")) {
            if (values.containsKey(key) && RemoteMode.of(values.get(key)).isEmpty()) {
                throw new ConfigValidationException(key + " must be \"only_local\" or \"create\"");
            }
        }
        for (String key : List.of("api_key", "user_agent")) {
            if (values.containsKey(key) && !(values.get(key) instanceof String)) {
                throw new ConfigValidationException(key + " must be a string");
            }
        }
        if (Boolean.TRUE.equals(values.get("include_private"))
                && !(values.get("api_key") instanceof String key && !key.isBlank())) {
            throw new ConfigValidationException("include_private needs api_key: CKAN shows private datasets only "
                    + "to a user who may see them");
        }
        if (values.containsKey("deletion_guard_max_share")) {
            Object share = values.get("deletion_guard_max_share");
            if (!(share instanceof Number number) || number.doubleValue() < 0 || number.doubleValue() > 1) {
                throw new ConfigValidationException("deletion_guard_max_share must be a number between 0 and 1");
            }
        }
        return rewritten ? Json.write(values) : config;
    }

    /** @return every key of the configuration, known or not; unmodifiable, nested values too */
    public Map<String, Object> raw() {
        return raw;
    }

    /**
     * A digest of the configuration text, stored with each harvest object so that a changed configuration makes
     * the next harvest re-import datasets whose remote record did not change.
     *
     * @return a hex SHA-256
     */
    public String digest() {
        return digest;
    }

    /** @return {@code force_all} */
    public boolean forceAll() {
        return flag("force_all");
    }

    /** @return {@code read_only} */
    public boolean readOnly() {
        return flag("read_only");
    }

    /** @return {@code override_extras} */
    public boolean overrideExtras() {
        return flag("override_extras");
    }

    /** @return {@code clean_tags} */
    public boolean cleanTags() {
        return flag("clean_tags");
    }

    /** @return {@code include_private} */
    public boolean includePrivate() {
        return flag("include_private");
    }

    /** @return {@code api_key}, or {@code null} */
    public String apiKey() {
        return text("api_key");
    }

    /** @return {@code user_agent}, or {@code null} */
    public String userAgent() {
        return text("user_agent");
    }

    /** @return {@code user}, or {@code null} */
    public String user() {
        return text("user");
    }

    /** @return {@code remote_groups} if it enables remote groups */
    public Optional<RemoteMode> remoteGroups() {
        return RemoteMode.of(raw.get("remote_groups"));
    }

    /** @return {@code remote_orgs} if it enables remote organizations */
    public Optional<RemoteMode> remoteOrgs() {
        return RemoteMode.of(raw.get("remote_orgs"));
    }

    /** @return {@code default_tags} (tag dicts) */
    public List<Map<String, Object>> defaultTags() {
        return dicts("default_tags");
    }

    /** @return {@code default_groups} as entered (names or ids) */
    public List<String> defaultGroups() {
        return strings("default_groups");
    }

    /** @return {@code default_group_dicts}, the groups resolved at validation */
    public List<Map<String, Object>> defaultGroupDicts() {
        return dicts("default_group_dicts");
    }

    /** @return {@code default_extras}, in order: a mutable copy */
    @SuppressWarnings("unchecked")
    public Map<String, Object> defaultExtras() {
        return raw.get("default_extras") instanceof Map<?, ?> map
                ? (Map<String, Object>) mutableCopy(map)
                : Map.of();
    }

    /** @return the {@code fq} terms of the filters, in ckanext-harvest's form */
    public List<String> filterTerms() {
        List<String> terms = new ArrayList<>();
        addFilter(terms, "organization", strings("organizations_filter_include"),
                strings("organizations_filter_exclude"));
        addFilter(terms, "groups", strings("groups_filter_include"), strings("groups_filter_exclude"));
        return terms;
    }

    /**
     * Fills the placeholders of a {@code default_extras} value, as Python's {@code str.format}: {@code {{} and
     * {@code }}} are literal braces.
     *
     * @param template the configured value
     * @param values the placeholder values by name
     * @return the filled value
     */
    public static String fill(String template, Map<String, String> values) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String token = matcher.group();
            String replacement;
            if (token.equals("{{")) {
                replacement = "{";
            } else if (token.equals("}}")) {
                replacement = "}";
            } else {
                replacement = values.getOrDefault(matcher.group(1), token);
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private static void addFilter(List<String> terms, String field, List<String> include, List<String> exclude) {
        if (!include.isEmpty()) {
            terms.add(String.join(" OR ", include.stream().map(name -> field + ":" + name).toList()));
        } else {
            exclude.forEach(name -> terms.add("-" + field + ":" + name));
        }
    }

    private static void checkPlaceholders(String key, String template) throws ConfigValidationException {
        Matcher matcher = PLACEHOLDER.matcher(template);
        while (matcher.find()) {
            String name = matcher.group(1);
            if (name != null && !PLACEHOLDERS.contains(name)) {
                throw new ConfigValidationException("default_extras value of '" + key
                        + "' uses the unknown placeholder {" + name + "}; known placeholders are {dataset_id}, "
                        + "{harvest_source_id}, {harvest_source_url}, {harvest_source_title}, {harvest_job_id} "
                        + "and {harvest_object_id}");
            }
        }
    }

    static Optional<CatalogGroup> lookUpGroup(Catalog catalog, String idOrName) throws ConfigValidationException {
        try {
            return catalog.findGroup(GroupKind.GROUP, idOrName);
        } catch (CatalogException e) {
            throw new ConfigValidationException("Default group '" + idOrName + "' could not be looked up: "
                    + e.getMessage(), e);
        }
    }

    /** The part of a group dict a dataset's {@code groups} needs. */
    static Map<String, Object> groupReference(CatalogGroup group) {
        Map<String, Object> reference = new LinkedHashMap<>();
        reference.put("id", group.id());
        reference.put("name", group.name());
        if (group.title() != null) {
            reference.put("title", group.title());
        }
        return reference;
    }

    private static Map<String, Object> readObject(String config) throws ConfigValidationException {
        if (config == null || config.isBlank()) {
            return new LinkedHashMap<>();
        }
        try {
            Object value = Json.MAPPER.readValue(config, Object.class);
            if (!(value instanceof Map<?, ?>)) {
                throw new ConfigValidationException("The configuration must be a JSON object ({...}), not "
                        + (value instanceof List<?> ? "a list" : "a single value"));
            }
            return Json.parseObject(config);
        } catch (JsonProcessingException e) {
            throw new ConfigValidationException("The configuration is not valid JSON: " + Json.describe(e), e);
        } catch (NumberFormatException e) {
            // Jackson's BigDecimal refuses exponents beyond int range (1e9999999999) with this, not a parse error
            throw new ConfigValidationException("The configuration is not valid JSON: a number is out of range", e);
        }
    }

    private static boolean isIntegral(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger) {
            return true;
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.stripTrailingZeros().scale() <= 0;
        }
        return value instanceof String text && text.trim().matches("[+-]?\\d+");
    }

    private static boolean isListOfNonBlankStrings(Object value) {
        return value instanceof List<?> list
                && list.stream().allMatch(item -> item instanceof String text && !text.isBlank());
    }

    private boolean flag(String key) {
        return Boolean.TRUE.equals(raw.get(key));
    }

    private String text(String key) {
        Object value = raw.get(key);
        return value instanceof String text && !text.isBlank() ? text : null;
    }

    private List<String> strings(String key) {
        return raw.get(key) instanceof List<?> list
                ? list.stream().filter(String.class::isInstance).map(String.class::cast).toList()
                : List.of();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> dicts(String key) {
        List<Map<String, Object>> dicts = new ArrayList<>();
        if (raw.get(key) instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof Map<?, ?> map) {
                    dicts.add((Map<String, Object>) mutableCopy(map));
                }
            }
        }
        return dicts;
    }

    /** An unmodifiable deep copy of parsed JSON (maps keep their order; lists may hold nulls). */
    private static Object frozen(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((key, item) -> copy.put(key, frozen(item)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(item -> copy.add(frozen(item)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }

    /** A mutable deep copy of parsed JSON, for values that end up in a dataset that the import changes. */
    private static Object mutableCopy(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((key, item) -> copy.put(key, mutableCopy(item)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(item -> copy.add(mutableCopy(item)));
            return copy;
        }
        return value;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
