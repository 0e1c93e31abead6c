package org.example.harvest.oai;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.harvest.api.*;
import dev.harvest.api.catalog.*;
import dev.harvest.api.http.*;
import java.io.*;
import java.net.*;
import java.net.http.*;
import java.util.*;
import java.util.stream.*;
import javax.xml.parsers.*;
import org.w3c.dom.*;
import org.w3c.dom.ls.DOMImplementationLS;
import org.xml.sax.SAXException;

/**
 * Harvests the Dublin Core records of an <a href="https://www.openarchives.org/OAI/openarchivesprotocol.html">OAI-PMH
 * 2.0</a> repository, whose base URL is the source URL. Written against {@code harvest-api} and the JDK alone, as a
 * third party would.
 *
 * <ul>
 *   <li><b>gather</b> pages through {@code ListRecords} ({@code metadataPrefix=oai_dc}, optional {@code set} and
 *       {@code from}), following the {@code resumptionToken} until it is empty, and emits each record's XML as
 *       content with its OAI identifier as guid. Without {@code from} that is a full listing: the engine deletes the
 *       datasets of records that vanished.
 *   <li><b>fetch</b> has nothing to do: the listing carries the records.
 *   <li><b>import</b> maps Dublin Core to a CKAN dataset; a record whose header has {@code status="deleted"}
 *       deletes the dataset an earlier harvest made of it.
 * </ul>
 *
 * <p>Requests obey the site's {@link OutboundPolicy}, read in {@link #start(Settings)}: each URL and the addresses of
 * its host are checked before the request, and redirects are followed here, at most {@value #MAX_REDIRECTS} in a row,
 * each only where the policy allows it.
 *
 * <p>Thread-safe, and keeps no per-job state, as the SPI requires.
 */
public final class OaiPmhHarvester implements Harvester {

    static final String OAI = "http://www.openarchives.org/OAI/2.0/", DC = "http://purl.org/dc/elements/1.1/";
    /** Bounds: pages per gather (stops a repository whose tokens loop) and bytes per response. */
    static final int MAX_PAGES = 10_000, MAX_RESPONSE_BYTES = 32 << 20, MAX_REDIRECTS = 5;
    /** Redirects are followed by {@link #download}, which checks each one against the outbound policy first. */
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    /** Until {@link #start(Settings)}, the strictest policy: public addresses only, same-origin redirects only. */
    private volatile OutboundPolicy policy = OutboundPolicy.defaults();
    /** Dublin Core elements kept as {@code dc_<element>} extras; repeated values are joined with "; ". */
    private static final List<String> EXTRAS = List.of("identifier", "contributor", "date", "publisher", "rights",
            "type", "format", "language", "source", "relation", "coverage");
    /** A member of a flat JSON object (a key, then a string or a bare literal), and such an object. */
    private static final String MEMBER = "\"([^\"\\\\]*)\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^\\s,\"{}\\[\\]]+)";
    private static final String OBJECT = "\\{\\s*(" + MEMBER + "(\\s*,\\s*" + MEMBER + ")*)?\\s*}";
    /** The config keys: the JSON token each value must match, and how the error message describes it. */
    private static final Map<String, String[]> KEYS = Map.of(
            "set", new String[] {"\"[\\w.!~*'()-]+(:[\\w.!~*'()-]+)*\"", "a setSpec string"},
            "from", new String[] {"\"\\d{4}-\\d\\d-\\d\\d(T\\d\\d:\\d\\d:\\d\\dZ)?\"", "a UTC datestamp string"},
            "metadataPrefix", new String[] {"\"oai_dc\"", "\"oai_dc\", the only format this harvester maps"},
            EngineSourceKeys.FORCE_DELETIONS, new String[] {"true|false", "true or false"},
            EngineSourceKeys.DELETION_GUARD_MAX_SHARE, new String[] {"0(\\.\\d+)?|1(\\.0+)?", "a number from 0 to 1"},
            EngineSourceKeys.ALLOW_TAKEOVER, new String[] {"true|false", "true or false"},
            EngineSourceKeys.GATHER_MAX_OBJECTS, new String[] {"[1-9]\\d*", "a whole number above 0"},
            EngineSourceKeys.GATHER_MAX_SECONDS, new String[] {"[1-9]\\d*", "a whole number above 0"},
            EngineSourceKeys.GATHER_COUNT_MARGIN, new String[] {"\\d+(\\.\\d+)?", "a number from 0 up"});

    @Override public HarvesterInfo info() {
        return new HarvesterInfo("oai_pmh", "OAI-PMH", "An OAI-PMH 2.0 repository's Dublin Core records; its base URL");
    }

    /** Reads the site's outbound HTTP policy; a bad value throws an IllegalArgumentException naming its key. */
    @Override public void start(Settings settings) { policy = OutboundPolicy.from(settings); }

    @Override public String validateConfig(String config, ValidationContext context) throws ConfigValidationException {
        parseConfig(config);
        return config == null ? "" : config;
    }

    /** The flat JSON config, read with regular expressions rather than a JSON library the plugin would have to ship. */
    static Map<String, String> parseConfig(String json) throws ConfigValidationException {
        String text = json == null ? "" : json.strip();
        if (!text.isEmpty() && !text.matches(OBJECT)) throw new ConfigValidationException("Malformed JSON: " + text);
        Map<String, String> options = new HashMap<>();
        for (java.util.regex.Matcher member = java.util.regex.Pattern.compile(MEMBER).matcher(text); member.find(); ) {
            String key = member.group(1), value = member.group(2), rule[] = KEYS.get(key);
            if (rule == null) throw new ConfigValidationException("Unknown configuration option " + key
                    + "; the oai_pmh harvester knows " + String.join(", ", new TreeSet<>(KEYS.keySet())));
            if (!value.matches(rule[0])) throw new ConfigValidationException(key + " must be " + rule[1] + ", not "
                    + value);
            options.put(key, value.replace("\"", ""));
        }
        return options;
    }

    @Override public Optional<String> originalUrl(HarvestSource source, HarvestObject object) {
        return Optional.of(url(source, "verb=GetRecord&metadataPrefix=oai_dc&identifier=" + encode(object.guid())));
    }

    @Override public GatherOutcome gather(GatherContext context) throws Exception {
        Map<String, String> config = parseConfig(context.source().config());
        String query = "verb=ListRecords&metadataPrefix=oai_dc" + Stream.of("set", "from").filter(config::containsKey)
                .map(key -> "&" + key + "=" + encode(config.get(key))).collect(Collectors.joining());
        for (int page = 1; query != null; page++) {
            String url = url(context.source(), query);
            if (page > MAX_PAGES) return GatherOutcome.failed("Stopped after " + MAX_PAGES + " pages, at " + url);
            Element root;
            try {
                root = parse(download(url));
            } catch (IOException | SAXException e) {
                return GatherOutcome.failed("Could not read the OAI-PMH response " + url + ": " + e.getMessage());
            }
            Element error = (Element) root.getElementsByTagNameNS(OAI, "error").item(0); // noRecordsMatch: empty
            if (error == null ? root.getElementsByTagNameNS(OAI, "ListRecords").getLength() == 0
                    : !"noRecordsMatch".equals(error.getAttribute("code"))) {
                return GatherOutcome.failed("OAI-PMH error " + (error == null ? "(no ListRecords element)"
                        : error.getAttribute("code") + ": " + error.getTextContent().strip()) + " from " + url);
            }
            var serializer = ((DOMImplementationLS) root.getOwnerDocument().getImplementation()).createLSSerializer();
            serializer.getDomConfig().setParameter("xml-declaration", false);
            NodeList records = root.getElementsByTagNameNS(OAI, "record");
            for (int i = 0; i < records.getLength(); i++) {
                Element record = (Element) records.item(i);
                String guid = text(record, OAI, "identifier");
                if (guid == null) context.gatherError("A record without identifier in " + url + "; skipped");
                else context.emit(NewHarvestObject.withContent(guid, serializer.writeToString(record)));
            }
            String token = text(root, OAI, "resumptionToken"); // empty on the last page
            query = token == null ? null : "verb=ListRecords&resumptionToken=" + encode(token);
        }
        return config.containsKey("from") ? GatherOutcome.partialListing() : GatherOutcome.fullListing();
    }

    @Override public FetchOutcome fetch(FetchContext context) { return FetchOutcome.proceed(); }

    @Override public ImportOutcome importObject(ImportContext context) throws Exception {
        HarvestObject object = context.object();
        Element record = parse(object.content().getBytes(UTF_8));
        // the dataset an earlier harvest made of this record, else an id derived from the source and the record
        String id = object.packageId() != null ? object.packageId()
                : UUID.nameUUIDFromBytes((context.source().id() + "\n" + object.guid()).getBytes(UTF_8)).toString();
        Optional<Dataset> existing = context.catalog().findDataset(id).filter(found -> id.equals(found.id()));
        if (((Element) record.getElementsByTagNameNS(OAI, "header").item(0)).getAttribute("status").equals("deleted")) {
            boolean live = existing.isPresent() && existing.get().state().equals("active");
            if (live) context.catalog().deleteDataset(id);
            return live ? ImportOutcome.deleted(id) : ImportOutcome.skipped(object.guid() + " deleted, never imported");
        }
        Dataset dataset = new Dataset(Map.of("id", id));
        dataset.put("title", text(record, DC, "title"));
        if (dataset.title() == null) return ImportOutcome.failed("Record " + object.guid() + " has no oai_dc dc:title");
        dataset.put("notes", String.join("\n\n", texts(record, DC, "description")));
        dataset.put("author", String.join("; ", texts(record, DC, "creator")));
        dataset.put("url", texts(record, DC, "identifier").stream().filter(value -> value.matches("(?i)https?://\\S+"))
                .findFirst().orElse(""));
        dataset.put("tags", texts(record, DC, "subject").stream().map(DatasetNames::mungeTag).distinct()
                .map(tag -> Map.of("name", tag)).toList());
        dataset.put("extras", EXTRAS.stream().filter(element -> !texts(record, DC, element).isEmpty()).map(element ->
                Map.of("key", "dc_" + element, "value", String.join("; ", texts(record, DC, element)))).toList());
        Optional.ofNullable(context.source().ownerOrg()).ifPresent(org -> dataset.put("owner_org", org));
        if (existing.isPresent()) { // an update keeps the name; a deleted dataset becomes active again
            dataset.put("name", existing.get().name());
            return ImportOutcome.updated(context.catalog().updateDataset(dataset).id());
        }
        dataset.put("name", DatasetNames.newUniqueName(context.catalog(), dataset.title(), DatasetNames.AppendType
                .fromConfig(context.settings().get("ckanext.harvest.default_dataset_name_append", "number-sequence"))));
        return ImportOutcome.created(context.catalog().createDataset(dataset).id());
    }

    /**
     * A GET of at most {@link #MAX_RESPONSE_BYTES}, following redirects that the policy allows; anything but HTTP 200
     * is an error. A refusal is an {@link OutboundRefusedException}; its message names the setting that would allow
     * it.
     */
    private byte[] download(String url) throws IOException, InterruptedException {
        OutboundPolicy policy = this.policy;
        URI uri = URI.create(url);
        for (int redirects = 0; ; redirects++) {
            // java.net.http has no DNS hook: the addresses checked here are resolved again when it connects, a
            // DNS-rebinding window that the CKAN harvester's OkHttp hook closes
            policy.checkBeforeConnecting(uri);
            HttpResponse<InputStream> response;
            try {
                response = HTTP.send(HttpRequest.newBuilder(uri).timeout(java.time.Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                // refused, reset, silent or unresolvable all read alike, so that errors cannot map ports
                throw new IOException("could not connect to " + uri.getHost() + ", or it did not answer within 60"
                        + " seconds");
            }
            try (InputStream body = response.body()) {
                Optional<String> location = response.headers().firstValue("Location");
                if (REDIRECTS.contains(response.statusCode()) && location.isPresent()) { // its body is never read
                    if (redirects >= MAX_REDIRECTS) throw new IOException("more than " + MAX_REDIRECTS + " redirects");
                    URI next = resolve(uri, location.get(), response.statusCode());
                    Optional<String> refusal = policy.redirectRefusal(uri, next);
                    if (refusal.isPresent()) throw new OutboundRefusedException(refusal.get());
                    uri = next;
                    continue;
                }
                if (response.statusCode() != 200) throw new IOException("HTTP " + response.statusCode());
                byte[] bytes = body.readNBytes(MAX_RESPONSE_BYTES + 1);
                if (bytes.length > MAX_RESPONSE_BYTES) throw new IOException("over " + MAX_RESPONSE_BYTES + " bytes");
                return bytes;
            }
        }
    }

    private static URI resolve(URI from, String location, int status) throws IOException {
        try {
            return from.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new IOException("HTTP " + status + " with a Location that is not a URL");
        }
    }

    /** Parses XML from the network: a DOCTYPE is refused, so no external entity (XXE) and no entity bomb. */
    static Element parse(byte[] xml) throws IOException, SAXException, ParserConfigurationException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature(javax.xml.XMLConstants.FEATURE_SECURE_PROCESSING, true); // limits sizes and depths
        DocumentBuilder builder = factory.newDocumentBuilder();
        builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler()); // fatal errors are thrown, not printed
        return builder.parse(new ByteArrayInputStream(xml)).getDocumentElement();
    }

    /** The non-empty texts of the descendants with this name, with their runs of whitespace made one space. */
    private static List<String> texts(Element parent, String namespace, String name) {
        NodeList nodes = parent.getElementsByTagNameNS(namespace, name);
        return IntStream.range(0, nodes.getLength()).mapToObj(i -> nodes.item(i).getTextContent().strip())
                .filter(text -> !text.isEmpty()).map(text -> text.replaceAll("\\s+", " ")).toList();
    }

    private static String text(Element parent, String namespace, String name) {
        return texts(parent, namespace, name).stream().findFirst().orElse(null);
    }

    private static String url(HarvestSource source, String query) {
        return source.url().strip() + (source.url().contains("?") ? "&" : "?") + query;
    }

    private static String encode(String value) { return URLEncoder.encode(value, UTF_8); }
}
