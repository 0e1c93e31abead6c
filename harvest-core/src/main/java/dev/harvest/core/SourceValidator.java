package dev.harvest.core;

import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.core.engine.Frequency;
import dev.harvest.core.engine.HarvesterRegistry;
import dev.harvest.core.store.SourceStore;
import dev.harvest.core.store.SourceUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * ckanext-harvest's source validation (spec §2.2), for a creation and for an update: every field is checked and
 * every problem reported at once, as one {@link HarvestException} with per-field messages.
 */
final class SourceValidator {

    private final SourceStore sources;
    private final HarvesterRegistry harvesters;
    private final Catalog catalog;
    private final ValidationContext context;

    SourceValidator(SourceStore sources, HarvesterRegistry harvesters, Catalog catalog, ValidationContext context) {
        this.sources = sources;
        this.harvesters = harvesters;
        this.catalog = catalog;
        this.context = context;
    }

    /** A source that passed validation, with its values as they are to be stored. */
    record ValidNew(String name, String url, String title, String type, String config, String ownerOrg,
            String frequency, boolean active) {}

    /** The changes of an update that passed validation; a null field stays as it is. */
    record ValidUpdate(String url, String title, String config, String frequency, Boolean active, String ownerOrg,
            boolean clearOwnerOrg) {}

    /**
     * CKAN's {@code asbool}: {@code true}, {@code yes}, {@code on}, {@code y}, {@code t}, {@code 1} are true;
     * {@code false}, {@code no}, {@code off}, {@code n}, {@code f}, {@code 0} are false (any case).
     *
     * @param text the text
     * @return the value, or empty if the text is neither
     */
    static Optional<Boolean> parseBoolean(String text) {
        if (text == null) {
            return Optional.empty();
        }
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "y", "t", "1" -> Optional.of(true);
            case "false", "no", "off", "n", "f", "0" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    ValidNew validateNew(SourceForm form) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        String name = form.name() == null ? "" : form.name().strip();
        String url = form.url() == null ? "" : form.url().strip();
        String type = form.type() == null ? "" : form.type().strip();
        if (name.isEmpty()) {
            add(errors, "name", "Missing value");
        } else if (!name.matches("[a-z0-9_-]{2,100}")) {
            add(errors, "name", "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
                    + " (2 to 100 characters)");
        } else if (sources.findSource(name).isPresent()) {
            add(errors, "name", "That URL is already in use.");
        }
        checkUrl(url, errors);
        Optional<Harvester> harvester = harvesters.find(type);
        if (type.isEmpty()) {
            add(errors, "source_type", "Missing value");
        } else if (harvester.isEmpty()) {
            add(errors, "source_type", "Unknown harvester type: " + type + ". Registered types: "
                    + harvesters.names());
        }
        boolean active = blank(form.active()) || checkActive(form.active(), errors).orElse(true);
        String frequency = blank(form.frequency()) ? "MANUAL" : checkFrequency(form.frequency(), errors);
        String ownerOrg = blank(form.ownerOrg()) ? null : checkOrganization(form.ownerOrg(), errors);
        String config = form.config() == null ? "" : form.config().strip();
        if (harvester.isPresent()) {
            config = checkConfig(harvester.get(), config, errors);
        }
        if (!url.isEmpty() && !errors.containsKey("url") && !errors.containsKey("config")) {
            checkUnique(url, config, null, errors);
        }
        if (!errors.isEmpty()) {
            throw new HarvestException(errors);
        }
        return new ValidNew(name, url, form.title(), type, config, ownerOrg, frequency, active);
    }

    ValidUpdate validateUpdate(HarvestSource source, SourceUpdate update) {
        if (update.isEmpty()) {
            throw new HarvestException("Nothing to update: give at least one of --url, --title, --config,"
                    + " --frequency, --active, --owner-org");
        }
        Map<String, List<String>> errors = new LinkedHashMap<>();
        String url = update.url() == null ? null : update.url().strip();
        if (url != null) {
            checkUrl(url, errors);
        }
        Boolean active = update.active() == null ? null : checkActive(update.active(), errors).orElse(null);
        String frequency = update.frequency() == null ? null : checkFrequency(update.frequency(), errors);
        String ownerOrg = blank(update.ownerOrg()) ? null : checkOrganization(update.ownerOrg(), errors);
        String config = update.config() == null ? null : update.config().strip();
        if (config != null) {
            Optional<Harvester> harvester = harvesters.find(source.type());
            if (harvester.isEmpty()) {
                add(errors, "config", "Cannot check the configuration: no harvester of type " + source.type()
                        + " is installed (registered types: " + harvesters.names() + ")");
            } else {
                config = checkConfig(harvester.get(), config, errors);
            }
        }
        if ((url != null || config != null) && !errors.containsKey("url") && !errors.containsKey("config")) {
            checkUnique(url != null ? url : source.url(), config != null ? config : source.config(), source.id(),
                    errors);
        }
        if (!errors.isEmpty()) {
            throw new HarvestException(errors);
        }
        return new ValidUpdate(url, update.title(), config, frequency, active, ownerOrg,
                update.ownerOrg() != null && update.ownerOrg().isBlank());
    }

    private void checkUrl(String url, Map<String, List<String>> errors) {
        if (url.isEmpty()) {
            add(errors, "url", "Missing value");
        } else if (!url.matches("(?i)https?://.+")) {
            add(errors, "url", "Must be an http:// or https:// URL, not '" + url + "'");
        } else {
            literalAddressRefusal(url).ifPresent(refusal -> add(errors, "url", refusal));
        }
    }

    /**
     * A URL whose host is a literal loopback, private or other non-public address is refused at once, unless the
     * site's outbound policy allows it; host names are checked when a harvester resolves them (see
     * {@link OutboundPolicy}).
     */
    private Optional<String> literalAddressRefusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException unparsable) {
            return Optional.empty(); // the harvester reports a URL it cannot use
        }
        OutboundPolicy policy;
        try {
            policy = OutboundPolicy.from(context.settings());
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        return policy.urlRefusal(uri);
    }

    private static Optional<Boolean> checkActive(String active, Map<String, List<String>> errors) {
        Optional<Boolean> parsed = parseBoolean(active);
        if (parsed.isEmpty()) {
            add(errors, "active", "Must be true or false (also yes/no, on/off, 1/0), not '" + active + "'");
        }
        return parsed;
    }

    /**
     * A classic frequency (any case, stored in capitals) or a cron expression with an optional IANA zone (stored with
     * single spaces and the zone's canonical spelling); see {@link Frequency}.
     */
    private static String checkFrequency(String frequency, Map<String, List<String>> errors) {
        try {
            return Frequency.parse(frequency).text();
        } catch (IllegalArgumentException e) {
            add(errors, "frequency", e.getMessage());
            return frequency.strip();
        }
    }

    /** @return the organization's id, or null after recording an error */
    private String checkOrganization(String idOrName, Map<String, List<String>> errors) {
        String wanted = idOrName.strip();
        try {
            Optional<CatalogGroup> organization = catalog.findGroup(GroupKind.ORGANIZATION, wanted);
            if (organization.isEmpty()) {
                add(errors, "owner_org", "Organization " + wanted + " does not exist in the catalog");
                return null;
            }
            String id = organization.get().id();
            return id == null || id.isBlank() ? wanted : id;
        } catch (CatalogException | RuntimeException e) {
            add(errors, "owner_org", "Could not look up organization " + wanted + " in the catalog: "
                    + e.getMessage());
            return null;
        }
    }

    private String checkConfig(Harvester harvester, String config, Map<String, List<String>> errors) {
        try {
            String validated = harvester.validateConfig(config, context);
            validated = validated == null ? "" : validated;
            for (String problem : EngineSourceConfig.problems(validated)) {
                add(errors, "config", "Error parsing the configuration options: " + problem);
            }
            return validated;
        } catch (ConfigValidationException e) {
            add(errors, "config", "Error parsing the configuration options: " + e.getMessage());
        } catch (RuntimeException e) {
            add(errors, "config", "Error parsing the configuration options: " + e);
        }
        return config;
    }

    private void checkUnique(String url, String config, String ownId, Map<String, List<String>> errors) {
        String normalised = SourceUrls.normalise(url);
        Optional<HarvestSource> other = sources.findSourceWithUrlAndConfig(normalised, config);
        if (other.isPresent() && !other.get().id().equals(ownId)) {
            add(errors, "url", "There already is a Harvest Source for this URL (& config): url=" + normalised
                    + " config=" + config);
        }
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static void add(Map<String, List<String>> errors, String field, String message) {
        errors.computeIfAbsent(field, key -> new ArrayList<>()).add(message);
    }
}
