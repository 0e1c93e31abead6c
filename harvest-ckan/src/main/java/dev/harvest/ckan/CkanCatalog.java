package dev.harvest.ckan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.api.SettingDefinition;
import dev.harvest.api.Settings;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.api.http.OutboundPolicy;
import java.util.AbstractMap.SimpleEntry;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link Catalog} that is a remote CKAN, written through its action API with an API token: harvest into a CKAN
 * the way ckanext-harvest did, from outside it.
 *
 * <p>Uses {@code package_show}/{@code package_create}/{@code package_update}/{@code package_delete},
 * {@code group_show}/{@code organization_show} and {@code group_create}/{@code organization_create}. A name is taken
 * when {@code package_show?id=<name>} finds a dataset (CKAN resolves names there; a 404 means free). The token's user
 * needs the rights to do this: a sysadmin, or an editor of the organizations datasets go to. Every failure becomes a
 * {@link CatalogException} carrying CKAN's error, e.g. {@code HTTP error: 409 <url>: Validation Error: name: That URL
 * is already in use.}.
 *
 * <p>Requests follow the site's outbound policy ({@link OutboundPolicy}), with the catalog's own host allowed whatever
 * its address.
 *
 * <p>Selected by site configuration: {@value #CATALOG_TYPE_KEY}={@value #CATALOG_TYPE}, with {@value #URL_KEY},
 * {@value #API_KEY_KEY} and optionally {@value #CONNECT_TIMEOUT_KEY}, {@value #READ_TIMEOUT_KEY} and
 * {@value #CALL_TIMEOUT_KEY} (seconds); see
 * {@link #fromSettings(Settings)}.
 */
public final class CkanCatalog implements Catalog {

    /** Site key choosing the catalog implementation. */
    public static final String CATALOG_TYPE_KEY = "harvest.catalog.type";
    /** The value of {@value #CATALOG_TYPE_KEY} that selects this catalog. */
    public static final String CATALOG_TYPE = "ckan";
    /** Site key: the target CKAN's URL (a path prefix such as {@code /data} is allowed). */
    public static final String URL_KEY = "harvest.catalog.ckan.url";
    /** Site key: the API token sent as {@code Authorization}. */
    public static final String API_KEY_KEY = "harvest.catalog.ckan.api_key";
    /** Prefix of the HTTP settings: connect, read and call timeouts in seconds, and the response cap in MiB. */
    public static final String HTTP_PREFIX = "harvest.catalog.ckan.";
    /** Site key: connect timeout in seconds (default 10). */
    public static final String CONNECT_TIMEOUT_KEY = HTTP_PREFIX + "connect_timeout";
    /** Site key: read timeout in seconds (default 60). */
    public static final String READ_TIMEOUT_KEY = HTTP_PREFIX + "read_timeout";
    /** Site key: the deadline of one request in seconds, retries and redirects included (default 120). */
    public static final String CALL_TIMEOUT_KEY = HTTP_PREFIX + "call_timeout";

    /** Every site setting this catalog reads. */
    public static final List<SettingDefinition> SETTINGS = java.util.stream.Stream.concat(
            java.util.stream.Stream.of(
                    SettingDefinition.of(URL_KEY, null, "URL of the CKAN that datasets are written to"),
                    SettingDefinition.of(API_KEY_KEY, null, "API token with write rights on that CKAN")),
            CkanHttpSettings.definitions(HTTP_PREFIX, "the target CKAN").stream()).toList();

    private final CkanApi api;

    /**
     * @param baseUrl the target CKAN's URL
     * @param apiToken an API token with write rights
     */
    public CkanCatalog(String baseUrl, String apiToken) {
        this(baseUrl, apiToken, HttpTransport.builder()
                .policy(catalogPolicy(OutboundPolicy.defaults(), baseUrl)).build());
    }

    /**
     * @param baseUrl the target CKAN's URL
     * @param apiToken an API token with write rights
     * @param transport the HTTP transport (timeouts, retries, size cap)
     */
    public CkanCatalog(String baseUrl, String apiToken, HttpTransport transport) {
        if (apiToken == null || apiToken.isBlank()) {
            throw new IllegalArgumentException("A CKAN catalog needs an API token to write with");
        }
        this.api = new CkanApi(baseUrl, apiToken, null, Objects.requireNonNull(transport, "transport"));
    }

    /**
     * Builds the catalog the site configuration describes.
     *
     * @param settings site settings with {@value #URL_KEY} and {@value #API_KEY_KEY}
     * @return the catalog
     * @throws IllegalArgumentException naming the missing or malformed key
     */
    public static CkanCatalog fromSettings(Settings settings) {
        String url = settings.get(URL_KEY).filter(value -> !value.isBlank())
                .orElseThrow(() -> new IllegalArgumentException(URL_KEY + " must be set to the CKAN's URL when "
                        + CATALOG_TYPE_KEY + " is " + CATALOG_TYPE));
        String token = settings.get(API_KEY_KEY).filter(value -> !value.isBlank())
                .orElseThrow(() -> new IllegalArgumentException(API_KEY_KEY + " must be set to an API token when "
                        + CATALOG_TYPE_KEY + " is " + CATALOG_TYPE));
        return new CkanCatalog(url, token,
                CkanHttpSettings.transport(settings, HTTP_PREFIX, catalogPolicy(OutboundPolicy.from(settings), url)));
    }

    /**
     * The site's outbound policy with the catalog's own host allowed: the operator chose it, and it often runs on the
     * same machine or network. Its redirects are still held to its origin, and other hosts to the site's policy.
     */
    private static OutboundPolicy catalogPolicy(OutboundPolicy site, String url) {
        okhttp3.HttpUrl parsed = okhttp3.HttpUrl.parse(CkanApi.stripTrailingSlashes(url));
        return parsed == null ? site : site.withAllowedHost(parsed.host());
    }

    /** @return the target CKAN's URL, without trailing {@code /} */
    public String baseUrl() {
        return api.baseUrl();
    }

    @Override
    public Optional<Dataset> findDataset(String idOrName) throws CatalogException {
        return show("package_show", idOrName).map(Dataset::new);
    }

    @Override
    public Dataset createDataset(Dataset dataset) throws CatalogException {
        return new Dataset(write("package_create", dataset.toMap(), "dataset " + dataset.name()));
    }

    @Override
    public Dataset updateDataset(Dataset dataset) throws CatalogException {
        if (dataset.id() == null) {
            throw new CatalogException("Cannot update dataset " + dataset.name() + ": it has no id");
        }
        return new Dataset(write("package_update", dataset.toMap(), "dataset " + dataset.id()));
    }

    @Override
    public void deleteDataset(String id) throws CatalogException {
        try {
            api.post("package_delete", Map.of("id", id));
        } catch (CkanRemoteException e) {
            if (!e.isNotFound()) {
                throw new CatalogException("Could not delete dataset " + id + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public boolean isDatasetNameTaken(String name) throws CatalogException {
        return show("package_show", name).isPresent();
    }

    @Override
    public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) throws CatalogException {
        return show(kind == GroupKind.GROUP ? "group_show" : "organization_show", idOrName).map(CatalogGroup::new);
    }

    @Override
    public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws CatalogException {
        String action = kind == GroupKind.GROUP ? "group_create" : "organization_create";
        return new CatalogGroup(write(action, group.toMap(), kind.name().toLowerCase() + " " + group.name()));
    }

    private Optional<Map<String, Object>> show(String action, String idOrName) throws CatalogException {
        if (idOrName == null || idOrName.isBlank()) {
            return Optional.empty();
        }
        List<Map.Entry<String, String>> params = action.equals("package_show")
                ? List.of(new SimpleEntry<>("id", idOrName))
                : List.of(new SimpleEntry<>("id", idOrName), new SimpleEntry<>("include_datasets", "false"));
        try {
            JsonNode result = api.get(action, params);
            return Optional.of(Json.toMap(result));
        } catch (CkanRemoteException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw new CatalogException(action + " of '" + idOrName + "' failed: " + e.getMessage(), e);
        }
    }

    private Map<String, Object> write(String action, Map<String, Object> body, String what)
            throws CatalogException {
        try {
            JsonNode result = api.post(action, body);
            if (!result.isObject()) {
                throw new CatalogException(action + " of " + what + " returned no dict: " + result);
            }
            return Json.toMap(result);
        } catch (CkanRemoteException e) {
            throw new CatalogException(action + " of " + what + " failed: " + e.getMessage(), e);
        }
    }
}
