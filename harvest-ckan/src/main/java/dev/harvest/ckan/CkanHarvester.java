package dev.harvest.ckan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.DatasetNames;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.api.http.OutboundPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Harvests a remote CKAN through its action API: the {@code ckan} harvester of ckanext-harvest, with its
 * configuration options, and the fixes described in the module README (deletions, HTTP checks, paging, private
 * datasets, change detection, {@code user} and {@code read_only}).
 *
 * <p>Gather pages {@code package_search} and stores each remote package dict as an object's content; fetch has
 * nothing to do for those, and gets the dict with {@code package_show} for the objects an incremental gather emits
 * without content (remote datasets never harvested although not modified recently); import turns the dict into a
 * local dataset with the remote id. Before the engine deletes a dataset that a listing missed,
 * {@link #confirmVanished(FetchContext)} asks the remote about it.
 *
 * <p>Thread-safe, and keeps no per-job mutable state: all per-source state comes from the contexts. What is the same
 * for every object of a source, its parsed configuration and its API client, is kept in a small bounded cache keyed
 * by the source id, URL and exact configuration text, so it is worked out once per source configuration rather than
 * once per object; a changed configuration is simply another key. Local group and organization lookups are kept
 * the same way for the rest of a job, keyed by the job id. Both caches hold immutable values only.
 */
public final class CkanHarvester implements Harvester {

    /** The harvester name, stored as the source type. */
    public static final String NAME = "ckan";

    /** Object extra holding {@link CkanSourceConfig#digest()} of the configuration the object was gathered with. */
    public static final String CONFIG_DIGEST_EXTRA = "config_digest";

    /**
     * Dataset extra holding the harvest user name of the source that wrote the dataset (config {@code user}, else
     * {@link #USER_NAME_SETTING}, else {@code harvest}). It is a label: no user account is looked up, and the catalog
     * is written with its own credentials whatever it says.
     */
    public static final String HARVEST_USER_EXTRA = "harvest_user";

    /**
     * Dataset extra {@code "true"} on datasets harvested with {@code read_only}: other harvest sources of this
     * harvester, whose harvest user name differs, do not overwrite the dataset. Nothing else is protected.
     */
    public static final String READ_ONLY_EXTRA = "harvest_read_only";

    /** Site setting: the harvest user name recorded for sources that set {@code read_only} but no {@code user}. */
    public static final String USER_NAME_SETTING = "ckanext.harvest.user_name";

    /** Site setting: space-separated fields that updates keep from the local dataset. */
    public static final String NOT_OVERWRITE_FIELDS_SETTING = "ckan.harvest.not_overwrite_fields";

    /** Site setting: how a clashing new dataset name gets a suffix (declared by the engine, shared by harvesters). */
    public static final String NAME_APPEND_SETTING = "ckanext.harvest.default_dataset_name_append";

    /** Prefix of the HTTP settings towards remote CKANs: timeouts in seconds and the response cap in MiB. */
    public static final String HTTP_PREFIX = "harvest.ckan.";

    /** The site settings this harvester reads. */
    public static final List<SettingDefinition> SETTINGS = java.util.stream.Stream.concat(
            java.util.stream.Stream.of(
                    SettingDefinition.of(USER_NAME_SETTING, null,
                            "Harvest user recorded on read_only datasets of sources without a user (else harvest)"),
                    SettingDefinition.of(NOT_OVERWRITE_FIELDS_SETTING, "",
                            "Space-separated dataset fields that a CKAN harvest update keeps from the local dataset")),
            CkanHttpSettings.definitions(HTTP_PREFIX, "remote CKANs").stream()).toList();

    /** Rows asked per {@code package_search} page: CKAN's default {@code ckan.search.rows_max}. */
    static final int PAGE_ROWS = 1000;

    /** Attempts to create a new dataset when its name is taken meanwhile (another import thread got it). */
    static final int CREATE_ATTEMPTS = 5;

    /**
     * Fields of a remote package dict that change without the dataset changing (page view counts), ignored when
     * deciding whether a record is unchanged; at the top level and in each resource.
     */
    static final Set<String> VOLATILE_FIELDS = Set.of("tracking_summary");

    private static final Logger LOG = LoggerFactory.getLogger(CkanHarvester.class);
    private static final HarvesterInfo INFO = new HarvesterInfo(NAME, "CKAN", "Harvests remote CKAN instances");
    private static final Set<String> GROUP_KEYS_NOT_COPIED =
            Set.of("packages", "created", "users", "groups", "tags", "extras", "display_name");
    private static final DateTimeFormatter SOLR_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /** How many source configurations {@link #setup(HarvestSource)} keeps parsed. */
    static final int SETUP_CACHE_SIZE = 64;

    /** How many local group/organization lookups are kept, for all running jobs together. */
    static final int GROUP_CACHE_SIZE = 4096;

    /**
     * What every object of a source shares: its parsed configuration and its API client, both immutable.
     *
     * @param config the parsed configuration
     * @param api the remote's API client, with the configuration's {@code api_key} and {@code user_agent}
     */
    record SourceSetup(CkanSourceConfig config, CkanApi api) {}

    private record SetupKey(String sourceId, String url, String config) {}

    /** A local group or organization as a dataset refers to it; immutable, unlike {@link CatalogGroup}. */
    private record GroupRef(String id, String name) {
        static GroupRef of(CatalogGroup group) {
            return new GroupRef(group.id(), group.name());
        }
    }

    /** One lookup of a local group by remote id, then name, within one job. */
    private record GroupKey(String jobId, GroupKind kind, String id, String name) {}

    private final boolean transportGiven;
    private volatile HttpTransport transport;
    private final BoundedCache<SetupKey, SourceSetup> setups = new BoundedCache<>(SETUP_CACHE_SIZE);
    private final BoundedCache<GroupKey, Optional<GroupRef>> groupLookups = new BoundedCache<>(GROUP_CACHE_SIZE);

    /**
     * A harvester with the default HTTP settings until {@link #start(Settings)} applies the site's
     * {@value #HTTP_PREFIX}* settings (used by {@link java.util.ServiceLoader}).
     */
    public CkanHarvester() {
        this.transport = HttpTransport.createDefault();
        this.transportGiven = false;
    }

    /** @param transport the HTTP transport to reach remote CKANs with, kept whatever the site settings say */
    public CkanHarvester(HttpTransport transport) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.transportGiven = true;
    }

    @Override
    public HarvesterInfo info() {
        return INFO;
    }

    @Override
    public List<SettingDefinition> settings() {
        return SETTINGS;
    }

    /**
     * Applies the site's {@value #HTTP_PREFIX}* timeouts and response cap and its outbound policy
     * ({@link OutboundPolicy#from(Settings)}), unless a transport was given.
     */
    @Override
    public void start(Settings settings) {
        if (!transportGiven) {
            transport = CkanHttpSettings.transport(settings, HTTP_PREFIX, OutboundPolicy.from(settings));
            setups.clear();
        }
    }

    @Override
    public String validateConfig(String config, ValidationContext context) throws ConfigValidationException {
        return CkanSourceConfig.validate(config, context.catalog());
    }

    /**
     * The engine may finish a record gathered again unchanged (same package dict, same extras, same configuration)
     * without fetch and import, except for a source with {@code force_all}: that is ckanext-harvest's option to
     * re-import everything, so every record then reaches {@link #importObject(ImportContext)}, which still writes
     * nothing for a dataset that is unchanged and active (a dataset deleted locally is restored).
     *
     * <p>A configuration that cannot be read answers true: the gather fails on it, so there is nothing to skip.
     */
    @Override
    public boolean skipsUnchangedRecords(HarvestSource source) {
        try {
            return !setup(source).config().forceAll();
        } catch (ConfigValidationException | IllegalArgumentException unreadable) {
            return true;
        }
    }

    @Override
    public Optional<String> originalUrl(HarvestSource source, HarvestObject object) {
        try {
            CkanApi api;
            try {
                api = setup(source).api();
            } catch (ConfigValidationException unreadableConfig) {
                api = new CkanApi(source.url(), null, null, transport);
            }
            return Optional.of(api.actionUrl("package_show", List.of(new SimpleEntry<>("id", object.guid())))
                    .toString());
        } catch (IllegalArgumentException notAUrl) {
            return Optional.empty();
        }
    }

    /**
     * The parsed configuration and API client of a source, from the cache when the source's id, URL and
     * configuration text are those of a recent call.
     *
     * @param source a harvest source
     * @return its setup
     * @throws ConfigValidationException if the configuration is not a JSON object (not cached)
     * @throws IllegalArgumentException if the URL is not an http(s) URL (not cached)
     */
    SourceSetup setup(HarvestSource source) throws ConfigValidationException {
        return setups.get(new SetupKey(source.id(), source.url(), source.config()), key -> {
            CkanSourceConfig config = CkanSourceConfig.parse(key.config());
            return new SourceSetup(config, new CkanApi(key.url(), config.apiKey(), config.userAgent(), transport));
        });
    }

    /** @return how many source setups are cached (for tests) */
    int cachedSetups() {
        return setups.size();
    }

    // ---------------------------------------------------------------------------------------------------- gather

    @Override
    public GatherOutcome gather(GatherContext context) throws Exception {
        HarvestSource source = context.source();
        SourceSetup setup = setup(source);
        CkanSourceConfig config = setup.config();
        CkanApi api = setup.api();
        List<String> filterTerms = config.filterTerms();

        Optional<Instant> since = config.forceAll()
                ? Optional.empty()
                : context.lastErrorFreeJob().map(HarvestJob::gatherStarted).filter(Objects::nonNull);
        if (since.isPresent()) {
            List<String> terms = new ArrayList<>(filterTerms);
            terms.add("metadata_modified:[" + solrDate(since.get().minus(Duration.ofHours(1))) + "Z TO *]");
            Set<String> emitted = new HashSet<>();
            try {
                new PackageSearchPager(api, terms, config.includePrivate(), null, PAGE_ROWS)
                        .observedBy(context).run(page -> emitPage(context, page, config, emitted));
                LOG.info("Source {}: {} datasets modified since {}", source.name(), emitted.size(), since.get());
                return markUnchangedPresent(context, api, config, filterTerms, emitted);
            } catch (PackageSearchPager.SearchException e) {
                if (e.rowsDelivered() > 0) {
                    context.gatherError(searchError(e, api, terms));
                    return GatherOutcome.partialListing();
                }
                LOG.warn("Source {}: incremental search failed, gathering everything instead: {}", source.name(),
                        e.getMessage());
            }
        }

        Set<String> emitted = new HashSet<>();
        PackageSearchPager.Totals totals;
        try {
            totals = new PackageSearchPager(api, filterTerms, config.includePrivate(), null, PAGE_ROWS)
                    .observedBy(context).run(page -> emitPage(context, page, config, emitted));
        } catch (PackageSearchPager.SearchException e) {
            if (e.rowsDelivered() == 0) {
                return GatherOutcome.failed(searchError(e, api, filterTerms));
            }
            context.gatherError(searchError(e, api, filterTerms));
            return GatherOutcome.partialListing();
        }
        if (totals.rows() == 0) {
            return GatherOutcome.failed("No datasets found at CKAN: " + api.baseUrl());
        }
        LOG.info("Source {}: {} remote datasets in {} pages", source.name(), emitted.size(), totals.pages());
        return GatherOutcome.fullListing();
    }

    /**
     * After an incremental gather: lists every remote id (cheaply, {@code fl=id}). Per page, the ids not emitted yet
     * that the source already provides are marked present, so that the engine may delete only the datasets that
     * really vanished; the others were never harvested although they exist (a filter was widened, a dataset became
     * visible, an earlier import failed) and are emitted without content, for {@link #fetch(FetchContext)} to get.
     */
    private GatherOutcome markUnchangedPresent(GatherContext context, CkanApi api, CkanSourceConfig config,
            List<String> filterTerms, Set<String> emitted) {
        long[] remoteIds = {0};
        long[] newlyFound = {0};
        try {
            new PackageSearchPager(api, filterTerms, config.includePrivate(), "id", PAGE_ROWS)
                    .observedBy(context).run(page -> {
                List<String> notEmitted = new ArrayList<>();
                for (JsonNode item : page) {
                    String id = item.isTextual() ? item.asText() : item.path("id").asText("");
                    if (!id.isEmpty()) {
                        remoteIds[0]++;
                        if (!emitted.contains(id)) {
                            notEmitted.add(id);
                        }
                    }
                }
                if (notEmitted.isEmpty()) {
                    return;
                }
                Set<String> known = context.knownGuids(notEmitted);
                for (String id : notEmitted) {
                    if (known.contains(id)) {
                        context.markPresent(id);
                    } else if (emitted.add(id)) {
                        newlyFound[0]++;
                        context.emit(new NewHarvestObject(id, null, null,
                                Map.of(CONFIG_DIGEST_EXTRA, config.digest())));
                    }
                }
            });
        } catch (java.util.concurrent.CancellationException stopped) {
            throw stopped; // the engine stopped the gather: it records why
        } catch (Exception e) {
            context.gatherError("Unable to list the ids of the datasets of remote CKAN " + api.baseUrl()
                    + ", so datasets deleted there are not detected: " + e.getMessage());
            return GatherOutcome.partialListing();
        }
        if (remoteIds[0] == 0) {
            context.gatherError("No datasets found at CKAN: " + api.baseUrl());
            return GatherOutcome.partialListing();
        }
        if (newlyFound[0] > 0) {
            LOG.info("Source {}: {} remote datasets not modified recently were never harvested; emitted them too",
                    context.source().name(), newlyFound[0]);
        }
        return GatherOutcome.fullListing();
    }

    private void emitPage(GatherContext context, List<JsonNode> page, CkanSourceConfig config, Set<String> emitted) {
        for (JsonNode dataset : page) {
            String id = dataset.path("id").isTextual() ? dataset.get("id").asText() : "";
            if (id.isBlank()) {
                context.gatherError("Remote CKAN returned a dataset without an id: "
                        + abbreviate(Json.write(dataset)));
                continue;
            }
            if (!emitted.add(id)) {
                continue;
            }
            if ("harvest".equals(dataset.path("type").asText())) {
                LOG.debug("Skipping remote harvest source {}", id);
                continue;
            }
            Optional<String> problem = Json.recordProblem(dataset);
            if (problem.isPresent()) {
                // Emitted without content: fetch asks package_show for it, and errors this object alone if the
                // value is there too. The dataset stays listed, so it is not deleted either.
                LOG.info("Remote dataset {} in a package_search page has {}; fetching it on its own", id,
                        problem.get());
                context.emit(new NewHarvestObject(id, null, null, Map.of(CONFIG_DIGEST_EXTRA, config.digest())));
                continue;
            }
            context.emit(new NewHarvestObject(id, Json.write(dataset),
                    parseTimestamp(dataset.path("metadata_modified").asText(null)),
                    Map.of(CONFIG_DIGEST_EXTRA, config.digest())));
        }
    }

    private static String searchError(Exception e, CkanApi api, List<String> terms) {
        return "Unable to search remote CKAN for datasets:" + e.getMessage() + " url:" + api.baseUrl() + " terms:"
                + terms;
    }

    /** Python's {@code isoformat()}: seconds, plus microseconds when there are any. */
    static String solrDate(Instant instant) {
        LocalDateTime time = LocalDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
        String seconds = SOLR_SECONDS.format(time);
        int micros = time.getNano() / 1000;
        return micros == 0 ? seconds : seconds + String.format(".%06d", micros);
    }

    static Instant parseTimestamp(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException noZone) {
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                return null;
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------- fetch

    /**
     * Objects gathered from a {@code package_search} page already carry their dict. An object emitted without content
     * (found by the id listing of an incremental gather) gets it from {@code package_show}; a dataset the remote no
     * longer has fails the object with a message naming the URL. Other errors are thrown and recorded by the engine.
     */
    @Override
    public FetchOutcome fetch(FetchContext context) throws Exception {
        HarvestObject object = context.object();
        if (object.content() != null && !object.content().isBlank()) {
            return FetchOutcome.proceed();
        }
        CkanApi api = setup(context.source()).api();
        HttpUrl url = api.actionUrl("package_show", List.of(new SimpleEntry<>("id", object.guid())));
        JsonNode dataset;
        try {
            dataset = api.getRecords(url);
        } catch (CkanRemoteException e) {
            if (e.isNotFound()) {
                return FetchOutcome.failed("Remote dataset " + object.guid() + " was not found: " + e.getMessage());
            }
            throw e;
        }
        if (!dataset.isObject() || !object.guid().equals(dataset.path("id").asText(null))) {
            return FetchOutcome.failed("package_show did not return dataset " + object.guid() + ": " + url);
        }
        if ("deleted".equals(dataset.path("state").asText())) {
            return FetchOutcome.failed("Remote dataset " + object.guid() + " was deleted: " + url);
        }
        Optional<String> problem = Json.recordProblem(dataset);
        if (problem.isPresent()) {
            return FetchOutcome.failed("Remote dataset " + object.guid() + " cannot be harvested: it has "
                    + problem.get() + " (" + url + ")");
        }
        return FetchOutcome.proceed(Json.write(dataset));
    }

    /**
     * Asks the remote whether a dataset that the listing missed is really gone. {@code package_show} answering
     * CKAN's {@code Not Found Error}, or a dataset in state {@code deleted}, confirms it. An active dataset is kept
     * unless the source filters the listing and the dataset no longer matches the filters. A 403 (CKAN answers so
     * for a deleted or private dataset the source may not read) is settled with a {@code package_search} for the id,
     * with the source's filters: not found there means gone. Any other error is thrown, so nothing is deleted.
     */
    @Override
    public boolean confirmVanished(FetchContext context) throws Exception {
        String guid = context.object().guid();
        SourceSetup setup = setup(context.source());
        CkanSourceConfig config = setup.config();
        CkanApi api = setup.api();
        try {
            JsonNode dataset = api.get("package_show", List.of(new SimpleEntry<>("id", guid)));
            if ("deleted".equals(dataset.path("state").asText())) {
                return true;
            }
            if (config.filterTerms().isEmpty()) {
                LOG.info("Remote dataset {} still exists although the listing missed it; keeping it", guid);
                return false;
            }
        } catch (CkanRemoteException e) {
            if ("Not Found Error".equals(e.errorType())) {
                return true;
            }
            if (e.httpStatus() != 403) {
                throw e;
            }
        }
        return !listedBySearch(api, config, guid);
    }

    /** Whether {@code package_search} with the source's filters finds the dataset with this id. */
    private static boolean listedBySearch(CkanApi api, CkanSourceConfig config, String guid)
            throws CkanRemoteException {
        List<String> terms = new ArrayList<>();
        terms.add("id:\"" + guid.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        terms.addAll(config.filterTerms());
        List<Map.Entry<String, String>> params = new ArrayList<>();
        params.add(new SimpleEntry<>("fq", String.join(" ", terms)));
        params.add(new SimpleEntry<>("rows", "0"));
        if (config.includePrivate()) {
            params.add(new SimpleEntry<>("include_private", "true"));
        }
        JsonNode count = api.get("package_search", params).path("count");
        if (!count.canConvertToLong()) {
            throw new CkanRemoteException("Response of package_search for dataset " + guid + " at " + api.baseUrl()
                    + " has no count", api.baseUrl(), 200, null, null);
        }
        return count.asLong() > 0;
    }

    // ---------------------------------------------------------------------------------------------------- import

    @Override
    public ImportOutcome importObject(ImportContext context) throws Exception {
        HarvestObject object = context.object();
        String content = object.content();
        if (content == null || content.isBlank()) {
            return ImportOutcome.failed("Empty content for object " + object.id());
        }
        LinkedHashMap<String, Object> remote;
        try {
            remote = Json.parseObject(content);
        } catch (JsonProcessingException e) {
            return ImportOutcome.failed("Content of object " + object.id() + " is not a JSON object: "
                    + Json.describe(e));
        }
        if ("harvest".equals(remote.get("type"))) {
            return ImportOutcome.skipped("Remote dataset " + object.guid() + " is a harvest source");
        }
        if (!(remote.get("id") instanceof String remoteId) || remoteId.isBlank()) {
            return ImportOutcome.failed("Remote dataset of object " + object.id() + " (guid " + object.guid()
                    + ") has no id");
        }
        SourceSetup setup = setup(context.source());
        CkanSourceConfig config = setup.config();
        Catalog catalog = context.catalog();
        try {
            Optional<Dataset> existing = findExisting(catalog, remoteId, object.packageId());
            if (existing.isPresent() && isUnchanged(context, remote, existing.get(), config)) {
                return ImportOutcome.unchanged(existing.get().id());
            }
            String harvestUser = harvestUser(config, context.settings());
            if (existing.isPresent()) {
                Optional<String> refusal = readOnlyRefusal(existing.get(), harvestUser);
                if (refusal.isPresent()) {
                    return ImportOutcome.failed(refusal.get());
                }
            }
            Dataset dataset = prepare(context, setup, remote, remoteId, harvestUser);
            if (existing.isPresent()) {
                Dataset local = existing.get();
                dataset.put("name", local.name());
                keepNotOverwrittenFields(dataset, local, context.settings());
                catalog.updateDataset(dataset);
                return ImportOutcome.updated(local.id());
            }
            String title = remote.get("name") instanceof String name && !name.isBlank()
                    ? name
                    : String.valueOf(remote.getOrDefault("title", remoteId));
            Dataset created = createWithUniqueName(catalog, dataset, title, appendType(context.settings()));
            return ImportOutcome.created(created.id() == null ? remoteId : created.id());
        } catch (CatalogException e) {
            return ImportOutcome.failed("Invalid package with GUID " + object.guid() + ": " + e.getMessage());
        }
    }

    /**
     * Creates a dataset under a new unique name. The munged name is usually free, so the create is tried with it
     * straight away: the catalog refuses a name that is taken, and asking it first would cost a call per dataset.
     * Only when a create fails while its name is taken (an existing dataset, or another import thread that got the
     * name meanwhile) is the next free name looked for ({@link DatasetNames#newUniqueName}) and the create tried
     * again, up to {@link #CREATE_ATTEMPTS} attempts in all. A create that fails for another reason is not retried.
     */
    private static Dataset createWithUniqueName(Catalog catalog, Dataset dataset, String title,
            DatasetNames.AppendType appendType) throws CatalogException {
        String name = candidateName(title);
        for (int attempt = 1; ; attempt++) {
            dataset.put("name", name);
            try {
                return catalog.createDataset(dataset);
            } catch (CatalogException e) {
                if (attempt >= CREATE_ATTEMPTS) {
                    throw e;
                }
                String next;
                if (attempt == 1) {
                    // newUniqueName first asks whether the candidate is taken, and returns it if it is free: then the
                    // name was not why the create failed.
                    next = DatasetNames.newUniqueName(catalog, title, appendType);
                    if (next.equals(name)) {
                        throw e;
                    }
                } else {
                    if (!catalog.isDatasetNameTaken(name)) {
                        throw e;
                    }
                    next = DatasetNames.newUniqueName(catalog, title, appendType);
                }
                LOG.info("Name {} is taken, so dataset {} was not created ({}); trying {}", name, dataset.id(),
                        e.getMessage(), next);
                name = next;
            }
        }
    }

    /** The name {@link DatasetNames#newUniqueName} starts from: the munged title, at most 100 characters. */
    static String candidateName(String title) {
        String ideal = DatasetNames.mungeTitleToName(title).replaceAll("-+", "-");
        return ideal.length() > DatasetNames.MAX_NAME_LENGTH ? ideal.substring(0, DatasetNames.MAX_NAME_LENGTH)
                : ideal;
    }

    private static Optional<Dataset> findExisting(Catalog catalog, String remoteId, String packageId)
            throws CatalogException {
        // findDataset falls back to names; only a dataset with the very id counts.
        for (String id : new LinkedHashSet<>(java.util.Arrays.asList(remoteId, packageId))) {
            if (id != null) {
                Optional<Dataset> found = catalog.findDataset(id).filter(d -> id.equals(d.id()));
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the remote record is the one the previous harvest imported, under the same configuration: the same
     * package dict, ignoring {@link #VOLATILE_FIELDS}. ckanext-harvest compared the remote date with the local write
     * time instead, which re-imported or skipped by accident of clocks; a remote {@code metadata_modified} alone is
     * not trusted either (an edit may keep it, e.g. a direct database change or a re-index).
     */
    private static boolean isUnchanged(ImportContext context, Map<String, Object> remote, Dataset existing,
            CkanSourceConfig config) {
        if (context.forceImport() || !"active".equals(existing.state())) {
            return false;
        }
        Optional<HarvestObject> previous = context.previousObject();
        if (previous.isEmpty() || previous.get().content() == null) {
            return false;
        }
        String previousDigest = previous.get().extras().get(CONFIG_DIGEST_EXTRA);
        if (previousDigest != null && !previousDigest.equals(config.digest())) {
            return false;
        }
        if (previous.get().content().equals(context.object().content())) {
            return true;
        }
        try {
            return withoutVolatileFields(remote)
                    .equals(withoutVolatileFields(Json.parseObject(previous.get().content())));
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** A copy of a package dict without {@link #VOLATILE_FIELDS}, at the top level and in its resources. */
    static Map<String, Object> withoutVolatileFields(Map<String, Object> dict) {
        Map<String, Object> copy = new LinkedHashMap<>(dict);
        VOLATILE_FIELDS.forEach(copy::remove);
        if (copy.get("resources") instanceof List<?> resources) {
            List<Object> cleaned = new ArrayList<>(resources.size());
            for (Object resource : resources) {
                if (resource instanceof Map<?, ?> map) {
                    Map<Object, Object> resourceCopy = new LinkedHashMap<>(map);
                    VOLATILE_FIELDS.forEach(resourceCopy::remove);
                    cleaned.add(resourceCopy);
                } else {
                    cleaned.add(resource);
                }
            }
            copy.put("resources", cleaned);
        }
        return copy;
    }

    private static String harvestUser(CkanSourceConfig config, Settings settings) {
        if (config.user() != null) {
            return config.user();
        }
        return settings.get(USER_NAME_SETTING).filter(name -> !name.isBlank()).orElse("harvest");
    }

    /**
     * A dataset harvested {@code read_only} belongs to the user it was harvested as: a source that harvests as
     * another user (another source with the same remote, or a changed {@code user}) must not overwrite it.
     */
    private static Optional<String> readOnlyRefusal(Dataset existing, String harvestUser) {
        Map<String, Object> extras = extrasByKey(existing);
        if (!"true".equals(String.valueOf(extras.get(READ_ONLY_EXTRA)))) {
            return Optional.empty();
        }
        Object owner = extras.get(HARVEST_USER_EXTRA);
        if (owner == null || owner.equals(harvestUser)) {
            return Optional.empty();
        }
        return Optional.of("Dataset " + existing.name() + " is read-only: it was harvested by user '" + owner
                + "', and this source harvests as '" + harvestUser + "'");
    }

    private Dataset prepare(ImportContext context, SourceSetup setup, Map<String, Object> remote,
            String remoteId, String harvestUser) throws CatalogException {
        Dataset dataset = new Dataset(remote);
        CkanSourceConfig config = setup.config();
        CkanApi api = setup.api();

        // The remote's own harvest_user / harvest_read_only describe how the remote harvested it, not this source:
        // copied, they would make the local dataset read-only for a user that does not harvest here.
        if (dataset.get("extras") instanceof List<?>) {
            dataset.dictList("extras").removeIf(
                    e -> HARVEST_USER_EXTRA.equals(e.get("key")) || READ_ONLY_EXTRA.equals(e.get("key")));
        }

        addDefaultTags(dataset, config);
        if (config.cleanTags()) {
            cleanTags(dataset);
        }
        applyRemoteGroups(dataset, config, context, api);
        applyOrganization(dataset, config, context, api);
        addDefaultGroups(dataset, config, context);
        addDefaultExtras(dataset, config, context, remoteId);
        addHarvestUserExtras(dataset, config, harvestUser);
        List<Map<String, Object>> resources = dataset.dictList("resources");
        for (Map<String, Object> resource : resources) {
            resource.remove("url_type");
            resource.remove("revision_id");
        }
        return dataset;
    }

    private static void addDefaultTags(Dataset dataset, CkanSourceConfig config) {
        List<Map<String, Object>> defaults = config.defaultTags();
        if (defaults.isEmpty()) {
            return;
        }
        List<Object> tags = mutableList(dataset, "tags");
        Set<String> names = new HashSet<>();
        for (Object tag : tags) {
            names.add(tag instanceof Map<?, ?> dict ? String.valueOf(dict.get("name")) : String.valueOf(tag));
        }
        for (Map<String, Object> tag : defaults) {
            if (names.add(String.valueOf(tag.get("name")))) {
                tags.add(tag);
            }
        }
    }

    /** ckanext-harvest's {@code _clean_tags}, for dict and string tags; tags that munge alike are kept once. */
    @SuppressWarnings("unchecked")
    static void cleanTags(Dataset dataset) {
        if (!(dataset.get("tags") instanceof List<?> tags)) {
            return;
        }
        List<Object> cleaned = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Object tag : tags) {
            if (tag instanceof Map<?, ?> dict) {
                String munged = DatasetNames.mungeTag(String.valueOf(dict.get("name")));
                if (!munged.isBlank() && names.add(munged)) {
                    Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) dict);
                    copy.put("name", munged);
                    if (copy.containsKey("display_name")) {
                        copy.put("display_name", munged);
                    }
                    cleaned.add(copy);
                }
            } else if (tag instanceof String name) {
                String munged = DatasetNames.mungeTag(name);
                if (!munged.isBlank() && names.add(munged)) {
                    cleaned.add(munged);
                }
            }
        }
        dataset.put("tags", cleaned);
    }

    private void applyRemoteGroups(Dataset dataset, CkanSourceConfig config, ImportContext context, CkanApi api)
            throws CatalogException {
        Optional<CkanSourceConfig.RemoteMode> mode = config.remoteGroups();
        if (mode.isEmpty()) {
            dataset.remove("groups");
            return;
        }
        boolean create = mode.get() == CkanSourceConfig.RemoteMode.CREATE;
        List<Map<String, Object>> kept = new ArrayList<>();
        for (Map<String, Object> remoteGroup : dataset.dictList("groups")) {
            String id = stringOrNull(remoteGroup.get("id"));
            String name = stringOrNull(remoteGroup.get("name"));
            Optional<GroupRef> local = lookUpGroup(context, GroupKind.GROUP, id, name, !create);
            if (local.isEmpty() && create) {
                local = copyRemoteGroup(context.catalog(), api, GroupKind.GROUP, id != null ? id : name, null);
                rememberGroup(context, GroupKind.GROUP, id, name, local);
            }
            local.ifPresent(group -> kept.add(reference(group)));
            if (local.isEmpty()) {
                LOG.info("Remote group {} ({}) has no local counterpart; dataset {} is not added to it", name, id,
                        dataset.id());
            }
        }
        dataset.put("groups", kept);
    }

    private void applyOrganization(Dataset dataset, CkanSourceConfig config, ImportContext context, CkanApi api)
            throws CatalogException {
        Optional<CkanSourceConfig.RemoteMode> mode = config.remoteOrgs();
        String ownerOrg = context.source().ownerOrg();
        Object embedded = dataset.remove("organization");
        String remoteOrg = stringOrNull(dataset.get("owner_org"));
        if (mode.isPresent() && remoteOrg != null) {
            boolean create = mode.get() == CkanSourceConfig.RemoteMode.CREATE;
            String embeddedName = embedded instanceof Map<?, ?> dict ? stringOrNull(dict.get("name")) : null;
            Optional<GroupRef> local = lookUpGroup(context, GroupKind.ORGANIZATION, remoteOrg, embeddedName, !create);
            if (local.isEmpty() && create) {
                local = copyRemoteGroup(context.catalog(), api, GroupKind.ORGANIZATION, remoteOrg,
                        embedded instanceof Map<?, ?> dict ? dict : null);
                rememberGroup(context, GroupKind.ORGANIZATION, remoteOrg, embeddedName, local);
            }
            if (local.isPresent()) {
                ownerOrg = local.get().id();
            }
        }
        if (ownerOrg == null) {
            dataset.remove("owner_org");
        } else {
            dataset.put("owner_org", ownerOrg);
        }
    }

    /**
     * Looks up a local group or organization by id, then by name, once per job: the answer is kept (in a bounded
     * cache) for the other datasets of the job, so that a thousand datasets of one remote group cost one lookup,
     * not a thousand (with a catalog whose writes last at once; see {@link #groupKey}). A group that is found is kept; one that is not is kept only when {@code rememberMissing}, i.e.
     * when nothing in the job creates it. The next job asks again, so groups created or deleted meanwhile are seen.
     */
    private Optional<GroupRef> lookUpGroup(ImportContext context, GroupKind kind, String id, String name,
            boolean rememberMissing) throws CatalogException {
        GroupKey key = groupKey(context, kind, id, name);
        Optional<GroupRef> known = key == null ? null : groupLookups.getIfPresent(key);
        if (known != null) {
            return known;
        }
        Optional<GroupRef> found = findGroup(context.catalog(), kind, id, name).map(GroupRef::of);
        if (key != null && (found.isPresent() || rememberMissing)) {
            groupLookups.put(key, found);
        }
        return found;
    }

    /** Keeps a group that this job created (or found created by another thread) for the rest of the job. */
    private void rememberGroup(ImportContext context, GroupKind kind, String id, String name,
            Optional<GroupRef> group) {
        GroupKey key = groupKey(context, kind, id, name);
        if (key != null && group.isPresent()) {
            groupLookups.put(key, group);
        }
    }

    /**
     * The cache key of a group lookup, or null when nothing may be cached: outside a job, or when the catalog's
     * writes may still be rolled back (the embedded catalog, whose lookups are local reads anyway), since a group
     * that an import created and remembered would be gone after its import or batch failed.
     */
    private static GroupKey groupKey(ImportContext context, GroupKind kind, String id, String name) {
        String jobId = context.job() == null ? null : context.job().id();
        return jobId == null || context.catalogWritesMayRollBack() ? null : new GroupKey(jobId, kind, id, name);
    }

    private static Optional<CatalogGroup> findGroup(Catalog catalog, GroupKind kind, String id, String name)
            throws CatalogException {
        Optional<CatalogGroup> found = id == null ? Optional.empty() : catalog.findGroup(kind, id);
        if (found.isEmpty() && name != null) {
            found = catalog.findGroup(kind, name);
        }
        return found;
    }

    /**
     * Creates a local copy of a remote group or organization from its {@code group_show}/{@code organization_show}.
     * When an organization cannot be fetched, the {@code organization} dict embedded in the package is used
     * (ckanext-harvest fell back to a call that always crashed). Failures are logged: the dataset is still imported.
     */
    @SuppressWarnings("unchecked")
    private Optional<GroupRef> copyRemoteGroup(Catalog catalog, CkanApi api, GroupKind kind, String idOrName,
            Map<?, ?> embedded) throws CatalogException {
        String action = kind == GroupKind.GROUP ? "group_show" : "organization_show";
        Map<String, Object> dict;
        try {
            dict = Json.toMap(api.get(action, List.of(new SimpleEntry<>("id", idOrName),
                    new SimpleEntry<>("include_datasets", "false"))));
        } catch (CkanRemoteException e) {
            if (embedded == null || embedded.get("name") == null) {
                LOG.warn("Could not copy remote {} {}: {}", kind.name().toLowerCase(), idOrName, e.getMessage());
                return Optional.empty();
            }
            LOG.info("{} failed ({}); creating the organization from the dataset's embedded copy", action,
                    e.getMessage());
            dict = new LinkedHashMap<>((Map<String, Object>) embedded);
        }
        GROUP_KEYS_NOT_COPIED.forEach(dict::remove);
        if (kind == GroupKind.ORGANIZATION) {
            dict.remove("type");
        }
        try {
            return Optional.of(GroupRef.of(catalog.createGroup(kind, new CatalogGroup(dict))));
        } catch (CatalogException e) {
            // Another import thread may have created it meanwhile.
            Optional<CatalogGroup> raced = findGroup(catalog, kind, stringOrNull(dict.get("id")),
                    stringOrNull(dict.get("name")));
            if (raced.isEmpty()) {
                LOG.warn("Could not create local {} {}: {}", kind.name().toLowerCase(), idOrName, e.getMessage());
            }
            return raced.map(GroupRef::of);
        }
    }

    private void addDefaultGroups(Dataset dataset, CkanSourceConfig config, ImportContext context)
            throws CatalogException {
        List<Map<String, Object>> defaults = config.defaultGroupDicts();
        if (defaults.isEmpty() && !config.defaultGroups().isEmpty()) {
            // Stored before validation added default_group_dicts: resolve now (once per job) instead of failing like
            // the original.
            for (String idOrName : config.defaultGroups()) {
                lookUpGroup(context, GroupKind.GROUP, idOrName, null, true)
                        .ifPresent(group -> defaults.add(reference(group)));
            }
        }
        if (defaults.isEmpty()) {
            return;
        }
        List<Map<String, Object>> groups = dataset.dictList("groups");
        Set<Object> ids = new HashSet<>();
        groups.forEach(group -> ids.add(group.get("id")));
        for (Map<String, Object> group : defaults) {
            if (ids.add(group.get("id"))) {
                groups.add(group);
            }
        }
    }

    private static void addDefaultExtras(Dataset dataset, CkanSourceConfig config, ImportContext context,
            String remoteId) {
        Map<String, Object> defaults = config.defaultExtras();
        if (defaults.isEmpty()) {
            return;
        }
        HarvestSource source = context.source();
        Map<String, String> placeholders = Map.of(
                "dataset_id", remoteId,
                "harvest_source_id", Objects.toString(source.id(), ""),
                "harvest_source_url", CkanApi.stripTrailingSlashes(source.url()),
                "harvest_source_title", Objects.toString(source.title(), ""),
                "harvest_job_id", Objects.toString(context.job().id(), ""),
                "harvest_object_id", Objects.toString(context.object().id(), ""));
        List<Map<String, Object>> extras = dataset.dictList("extras");
        for (Map.Entry<String, Object> extra : defaults.entrySet()) {
            boolean present = extras.stream().anyMatch(e -> extra.getKey().equals(e.get("key")));
            if (present && !config.overrideExtras()) {
                continue;
            }
            extras.removeIf(e -> extra.getKey().equals(e.get("key")));
            Object value = extra.getValue() instanceof String template
                    ? CkanSourceConfig.fill(template, placeholders)
                    : extra.getValue();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("key", extra.getKey());
            entry.put("value", value);
            extras.add(entry);
        }
    }

    private static void addHarvestUserExtras(Dataset dataset, CkanSourceConfig config, String harvestUser) {
        if (!config.readOnly() && config.user() == null) {
            return;
        }
        List<Map<String, Object>> extras = dataset.dictList("extras");
        extras.removeIf(e -> HARVEST_USER_EXTRA.equals(e.get("key")) || READ_ONLY_EXTRA.equals(e.get("key")));
        extras.add(extra(HARVEST_USER_EXTRA, harvestUser));
        if (config.readOnly()) {
            extras.add(extra(READ_ONLY_EXTRA, "true"));
        }
    }

    private static void keepNotOverwrittenFields(Dataset dataset, Dataset local, Settings settings) {
        String fields = settings.get(NOT_OVERWRITE_FIELDS_SETTING, "").trim();
        if (fields.isEmpty()) {
            return;
        }
        for (String field : fields.split("\\s+")) {
            if (local.has(field)) {
                dataset.put(field, local.get(field));
            }
        }
    }

    private static DatasetNames.AppendType appendType(Settings settings) {
        return DatasetNames.AppendType.fromConfig(
                settings.get(NAME_APPEND_SETTING, DatasetNames.AppendType.NUMBER_SEQUENCE.configValue()).trim());
    }

    private static Map<String, Object> reference(GroupRef group) {
        Map<String, Object> reference = new LinkedHashMap<>();
        reference.put("id", group.id());
        reference.put("name", group.name());
        return reference;
    }

    private static Map<String, Object> extra(String key, Object value) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("key", key);
        extra.put("value", value);
        return extra;
    }

    private static Map<String, Object> extrasByKey(Dataset dataset) {
        Map<String, Object> byKey = new LinkedHashMap<>();
        if (dataset.get("extras") instanceof List<?> extras) {
            for (Object extra : extras) {
                if (extra instanceof Map<?, ?> dict && dict.get("key") != null) {
                    byKey.put(String.valueOf(dict.get("key")), dict.get("value"));
                }
            }
        }
        return byKey;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> mutableList(Dataset dataset, String key) {
        List<Object> list = dataset.get(key) instanceof List<?> existing
                ? new ArrayList<>((List<Object>) existing)
                : new ArrayList<>();
        dataset.put(key, list);
        return list;
    }

    private static String stringOrNull(Object value) {
        return value == null ? null : value.toString();
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
