package dev.harvest.examples.datajson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.HarvestObject;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.Settings;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.DatasetNames;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.api.http.OutboundRefusedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Harvests a <a href="https://resources.data.gov/resources/dcat-us/">DCAT-US</a> {@code data.json} catalog, the
 * format of US federal open-data inventories and of data.gov. Written against {@code harvest-api} alone, as an
 * example of a third-party plugin.
 *
 * <p>The source URL is the URL of the {@code data.json} document: DCAT-US 1.1 (an object with a {@code dataset}
 * array) or 1.0 (a bare array of datasets). The configuration is described by {@link DataJsonConfig}.
 *
 * <ul>
 *   <li><b>gather</b> downloads the document and reads it as a stream, one dataset at a time, emitting one object
 *       per dataset with its {@code identifier} as guid and the dataset's JSON as content. It returns a
 *       {@linkplain GatherOutcome#fullListing() full listing} only when the whole document was read, so that the
 *       engine deletes the local datasets that vanished from the catalog and never deletes on a broken download.
 *   <li><b>fetch</b> has nothing to do: the document carries every dataset's content.
 *   <li><b>import</b> maps the dataset to a CKAN package dict (see {@link DcatUsMapping}) and creates or updates
 *       it. The local id is the one an earlier harvest gave the record, else a UUID derived from the source id and
 *       the identifier, so re-harvesting never duplicates a dataset.
 * </ul>
 *
 * <p>{@link #originalUrl(HarvestSource, HarvestObject)} is the source URL: data.json has no per-record document, and
 * the catalog document is where an error in a record can be looked at.
 *
 * <p>The download obeys the site's {@link OutboundPolicy}, read in {@link #start(Settings)}: the URL and every address
 * its host resolves to are checked before each request, and redirects are followed here, at most
 * {@value #MAX_REDIRECTS} in a row, each only where the policy allows it. A refusal fails the gather with one line
 * naming the URL and the reason.
 *
 * <p>Thread-safe, and keeps no per-job state, as the SPI requires.
 */
public final class DataJsonHarvester implements Harvester {

    /** The harvester name, stored as the source type. */
    public static final String NAME = "datajson";

    private static final System.Logger LOG = System.getLogger(DataJsonHarvester.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAME_APPEND_SETTING = "ckanext.harvest.default_dataset_name_append";
    /** The most redirects followed for one download. */
    static final int MAX_REDIRECTS = 5;
    private static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 303, 307, 308);

    private static final HarvesterInfo INFO = new HarvesterInfo(NAME, "DCAT-US data.json",
            "A DCAT-US data.json catalog (US federal open-data inventories, data.gov); the URL of the data.json "
                    + "document.");

    /** Until {@link #start(Settings)}, the strictest policy: public addresses only, same-origin redirects only. */
    private volatile OutboundPolicy policy = OutboundPolicy.defaults();

    /** Creates the harvester; {@link java.util.ServiceLoader} calls this. */
    public DataJsonHarvester() {}

    @Override
    public HarvesterInfo info() {
        return INFO;
    }

    /**
     * Reads the site's outbound HTTP policy.
     *
     * @throws IllegalArgumentException naming the policy key whose value is not valid
     */
    @Override
    public void start(Settings settings) {
        policy = OutboundPolicy.from(settings);
    }

    @Override
    public String validateConfig(String config, ValidationContext context) throws ConfigValidationException {
        DataJsonConfig.parse(config);
        return config == null ? "" : config;
    }

    @Override
    public Optional<String> originalUrl(HarvestSource source, HarvestObject object) {
        return Optional.ofNullable(source.url()).filter(url -> !url.isBlank());
    }

    @Override
    public GatherOutcome gather(GatherContext context) throws InterruptedException {
        HarvestSource source = context.source();
        DataJsonConfig config;
        try {
            config = DataJsonConfig.parse(source.config());
        } catch (ConfigValidationException e) {
            return GatherOutcome.failed("Invalid configuration of source " + source.name() + ": " + e.getMessage());
        }
        String url = source.url() == null ? "" : source.url().strip();
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return GatherOutcome.failed("Invalid source URL '" + url + "': " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return GatherOutcome.failed("Invalid source URL '" + url + "': a data.json source needs an http or "
                    + "https URL");
        }

        HttpResponse<InputStream> response;
        try {
            response = download(uri, config.timeout());
        } catch (IOException e) {
            // a policy refusal (OutboundRefusedException) lands here too: its message says what and which setting
            return GatherOutcome.failed("Could not download " + url + ": " + describe(e));
        }

        IdleTimeoutInputStream guardedBody = new IdleTimeoutInputStream(response.body(), config.timeout());
        try (InputStream body = guardedBody) {
            int status = response.statusCode();
            if (status < 200 || status > 299) {
                return GatherOutcome.failed("HTTP " + status + " from " + url);
            }
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            if (contentType.toLowerCase(Locale.ROOT).startsWith("text/html")) {
                return GatherOutcome.failed(url + " returned an HTML page, not a data.json document");
            }
            Emitter emitter = new Emitter(context, config, url);
            DataJsonDocument.Result result = DataJsonDocument.read(body, url, emitter);
            LOG.log(System.Logger.Level.INFO, "Read {0} entries of {1}: {2} emitted, {3} not matching the filters",
                    result.entries(), url, context.emittedCount(), emitter.filteredOut);
            return result.complete() ? GatherOutcome.fullListing() : GatherOutcome.failed(result.problem());
        } catch (IOException e) {
            String problem = guardedBody.stalled()
                    ? "no data for " + config.timeout().toSeconds() + " seconds"
                    : describe(e);
            return GatherOutcome.failed("The download of " + url + " broke off after " + context.emittedCount()
                    + " datasets: " + problem);
        }
    }

    /**
     * GETs a URL, following redirects here rather than in the client, so that each target is checked against the
     * outbound policy before anything is sent to it.
     *
     * @return the first response that is not a redirect; its body is open
     * @throws OutboundRefusedException if the policy refuses the URL, an address of its host, or a redirect
     */
    private HttpResponse<InputStream> download(URI first, Duration timeout) throws IOException, InterruptedException {
        OutboundPolicy policy = this.policy;
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        URI uri = first;
        for (int redirects = 0; ; redirects++) {
            // java.net.http has no DNS hook: the addresses checked here are resolved again when it connects, a
            // DNS-rebinding window that the CKAN harvester's OkHttp hook closes
            policy.checkBeforeConnecting(uri);
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(timeout)
                    .header("Accept", "application/json")
                    .header("User-Agent", "harvest-datajson")
                    .GET()
                    .build();
            HttpResponse<InputStream> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                // refused, reset, silent or unresolvable all read alike, so that errors cannot map ports
                throw new IOException("could not connect to " + uri.getHost() + ", or it did not answer within "
                        + timeout.toSeconds() + " seconds");
            }
            Optional<String> location = response.headers().firstValue("Location");
            if (!REDIRECT_STATUSES.contains(response.statusCode()) || location.isEmpty()) {
                return response;
            }
            response.body().close(); // a redirect's body is never read
            if (redirects >= MAX_REDIRECTS) {
                throw new IOException("more than " + MAX_REDIRECTS + " redirects");
            }
            URI next;
            try {
                next = uri.resolve(location.get());
            } catch (IllegalArgumentException e) {
                throw new IOException("HTTP " + response.statusCode() + " with a Location that is not a URL");
            }
            Optional<String> refusal = policy.redirectRefusal(uri, next);
            if (refusal.isPresent()) {
                throw new OutboundRefusedException(refusal.get());
            }
            uri = next;
        }
    }

    /** Turns the datasets of the document into harvest objects, one gather at a time. */
    private static final class Emitter implements DataJsonDocument.Listener {

        private final GatherContext context;
        private final DataJsonConfig config;
        private final String url;
        /** Only identifiers are kept, so memory grows with the number of datasets, not their size. */
        private final Map<String, Integer> firstPositions = new HashMap<>();
        private long filteredOut;

        Emitter(GatherContext context, DataJsonConfig config, String url) {
            this.context = context;
            this.config = config;
            this.url = url;
        }

        @Override
        public void dataset(int position, ObjectNode dataset) {
            String identifier = DcatUsMapping.text(dataset, "identifier");
            if (identifier == null) {
                String title = DcatUsMapping.text(dataset, "title");
                context.gatherError("Dataset #" + position + (title == null ? "" : " (\"" + title + "\")")
                        + " in " + url + " has no identifier; skipped");
                return;
            }
            Integer first = firstPositions.putIfAbsent(identifier, position);
            if (first != null) {
                context.gatherError("Dataset #" + position + " in " + url + " repeats the identifier \""
                        + identifier + "\" of dataset #" + first + "; kept the first");
                return;
            }
            config.applyDefaults(dataset);
            if (!config.matches(dataset)) {
                filteredOut++;
                return;
            }
            String content;
            try {
                content = JSON.writeValueAsString(dataset);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("Cannot write dataset " + identifier + " as JSON", e);
            }
            context.emit(new NewHarvestObject(identifier, content, parseModified(dataset), Map.of()));
        }

        @Override
        public void notADataset(int position, String description) {
            context.gatherError("Entry #" + position + " of the dataset array in " + url + " is " + description
                    + ", not a dataset object; skipped");
        }
    }

    /**
     * The dataset's {@code modified} date: an ISO 8601 timestamp with or without zone (UTC assumed), or a date (its
     * start, UTC). Other forms DCAT-US allows, such as repeating intervals ({@code R/P1D}), give {@code null}.
     */
    static Instant parseModified(JsonNode dataset) {
        String modified = DcatUsMapping.text(dataset, "modified");
        if (modified == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(modified).toInstant();
        } catch (DateTimeParseException notWithZone) {
            try {
                return LocalDateTime.parse(modified).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException notDateTime) {
                try {
                    return LocalDate.parse(modified).atStartOfDay(ZoneOffset.UTC).toInstant();
                } catch (DateTimeParseException notDate) {
                    return null;
                }
            }
        }
    }

    @Override
    public FetchOutcome fetch(FetchContext context) {
        return FetchOutcome.proceed();
    }

    @Override
    public ImportOutcome importObject(ImportContext context) throws Exception {
        HarvestObject object = context.object();
        ObjectNode dataset = parseContent(object.content());
        if (dataset == null) {
            return ImportOutcome.failed("The content of harvest object " + object.guid() + " is not a DCAT-US "
                    + "dataset object");
        }
        String identifier = Optional.ofNullable(DcatUsMapping.text(dataset, "identifier")).orElse(object.guid());
        String title = DcatUsMapping.text(dataset, "title");
        if (title == null) {
            return ImportOutcome.failed("Dataset " + identifier + " has no title");
        }

        Catalog catalog = context.catalog();
        String datasetId = object.packageId() != null
                ? object.packageId()
                : stableDatasetId(context.source().id(), identifier);
        Optional<Dataset> existing = catalog.findDataset(datasetId).filter(found -> datasetId.equals(found.id()));
        boolean existsActive = existing.isPresent() && existing.get().state().equals("active");
        if (existsActive && !context.forceImport() && sameContent(context.previousObject(), dataset)) {
            return ImportOutcome.unchanged(datasetId);
        }

        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("id", datasetId);
        fields.put("name", existing.isPresent() ? existing.get().name() : null);
        fields.putAll(DcatUsMapping.toPackageFields(dataset));
        if (context.source().ownerOrg() != null) {
            fields.put("owner_org", context.source().ownerOrg());
        }
        Dataset packageDict = new Dataset(fields);
        if (existing.isPresent()) {
            catalog.updateDataset(packageDict);
            return ImportOutcome.updated(datasetId);
        }
        DatasetNames.AppendType appendType = DatasetNames.AppendType.fromConfig(
                context.settings().get(NAME_APPEND_SETTING, DatasetNames.AppendType.NUMBER_SEQUENCE.configValue()));
        packageDict.put("name", DatasetNames.newUniqueName(catalog, title, appendType));
        catalog.createDataset(packageDict);
        return ImportOutcome.created(datasetId);
    }

    /**
     * The id a record gets on its first import: the same for the same source and identifier, on any machine.
     *
     * @param sourceId the harvest source id
     * @param identifier the dataset's DCAT-US identifier
     * @return a name-based (version 3) UUID
     */
    public static String stableDatasetId(String sourceId, String identifier) {
        return UUID.nameUUIDFromBytes((sourceId + "\n" + identifier).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static boolean sameContent(Optional<HarvestObject> previous, ObjectNode dataset) {
        return previous.map(HarvestObject::content).map(DataJsonHarvester::parseContent)
                .map(dataset::equals)
                .orElse(false);
    }

    private static ObjectNode parseContent(String content) {
        if (content == null) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(content);
            return node instanceof ObjectNode object ? object : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
