package dev.harvest.ckan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.harvest.api.GatherContext;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pages through a remote {@code package_search} with a stable sort ({@code id asc}), handing each page's results
 * over as the page arrives.
 *
 * <p>Fixes over ckanext-harvest's {@code _search_for_datasets}: {@code start} advances by the number of rows the
 * server actually returned (CKAN silently caps {@code rows} at {@code ckan.search.rows_max}), and paging stops at
 * {@code count} instead of always asking for one more page. A page whose response is over the transport's size cap
 * is asked again with half the rows, down to {@link #MIN_ROWS}; later pages keep the smaller size. De-duplication
 * across pages is the caller's job (it keeps the set of ids, never the dicts).
 */
final class PackageSearchPager {

    /** Receives the results of one page. */
    @FunctionalInterface
    interface PageHandler {
        /**
         * @param results the page's results, in order; for an {@code fl=id} search, dicts with only {@code id}
         * @throws Exception to stop paging; it propagates unchanged
         */
        void accept(List<JsonNode> results) throws Exception;
    }

    /** The search failed after {@link #rowsDelivered()} rows had been handed over. */
    static final class SearchException extends Exception {
        private static final long serialVersionUID = 1L;
        private final long rowsDelivered;

        SearchException(String message, long rowsDelivered, Throwable cause) {
            super(message, cause);
            this.rowsDelivered = rowsDelivered;
        }

        long rowsDelivered() {
            return rowsDelivered;
        }
    }

    /** What the search saw. @param rows rows handed over @param pages pages requested */
    record Totals(long rows, int pages) {}

    /** The fewest rows a page is asked with when responses are too large. */
    static final int MIN_ROWS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(PackageSearchPager.class);

    private final CkanApi api;
    private final List<String> fqTerms;
    private final boolean includePrivate;
    private final String fieldList;
    private final int rows;
    /** Told about each page and the remote's count, so that the engine can bound the listing; or null. */
    private GatherContext observer;

    /**
     * @param api the remote CKAN
     * @param fqTerms filter terms, joined by a space into one {@code fq}
     * @param includePrivate whether to send {@code include_private=true}
     * @param fieldList the {@code fl} parameter ({@code id} for an id listing), or {@code null} for full dicts
     * @param rows the page size asked for
     */
    PackageSearchPager(CkanApi api, List<String> fqTerms, boolean includePrivate, String fieldList, int rows) {
        this.api = api;
        this.fqTerms = List.copyOf(fqTerms);
        this.includePrivate = includePrivate;
        this.fieldList = fieldList;
        this.rows = rows;
    }

    /**
     * Reports this listing to a gather: {@link GatherContext#listingStarted()} when the search starts, and for each
     * page its {@code count} ({@link GatherContext#declareTotal(long)}) and ids ({@link GatherContext#pageDone}),
     * so that the engine stops a remote whose pages never run out or repeat. Its stop (a
     * {@link java.util.concurrent.CancellationException}) propagates out of {@link #run(PageHandler)}.
     *
     * @param context the gather
     * @return this pager
     */
    PackageSearchPager observedBy(GatherContext context) {
        this.observer = context;
        return this;
    }

    /** @param start the offset @param pageRows the rows to ask for @return the URL of the page at that offset */
    HttpUrl pageUrl(long start, int pageRows) {
        List<Map.Entry<String, String>> params = new ArrayList<>();
        params.add(new SimpleEntry<>("rows", Integer.toString(pageRows)));
        params.add(new SimpleEntry<>("start", Long.toString(start)));
        params.add(new SimpleEntry<>("sort", "id asc"));
        if (!fqTerms.isEmpty()) {
            params.add(new SimpleEntry<>("fq", String.join(" ", fqTerms)));
        }
        if (fieldList != null) {
            params.add(new SimpleEntry<>("fl", fieldList));
        }
        if (includePrivate) {
            params.add(new SimpleEntry<>("include_private", "true"));
        }
        return api.actionUrl("package_search", params);
    }

    /**
     * Runs the search to its end.
     *
     * @param handler receives each page
     * @return how many rows and pages there were
     * @throws SearchException if a page cannot be fetched or read, or the server ignores {@code start}
     * @throws Exception whatever the handler throws
     */
    Totals run(PageHandler handler) throws Exception {
        long start = 0;
        long delivered = 0;
        int pages = 0;
        int pageRows = rows;
        List<String> previousIds = List.of();
        if (observer != null) {
            observer.listingStarted();
        }
        while (true) {
            if (observer != null) {
                observer.checkCancelled();
            }
            HttpUrl url = pageUrl(start, pageRows);
            JsonNode result;
            try {
                // one bad value errors its record (the caller checks each), not the page
                result = api.getRecords(url);
            } catch (ResponseTooLargeException e) {
                if (pageRows <= MIN_ROWS) {
                    throw new SearchException("Error sending request to search remote CKAN instance "
                            + api.baseUrl() + " using URL '" + url + "'. Error: " + e.getMessage()
                            + " (even with " + pageRows + " rows per page)", delivered, e);
                }
                int fewer = Math.max(MIN_ROWS, pageRows / 2);
                LOG.info("Page at start={} of {} is over the size cap with {} rows; asking for {} rows", start,
                        api.baseUrl(), pageRows, fewer);
                pageRows = fewer;
                continue;
            } catch (CkanRemoteException e) {
                throw new SearchException("Error sending request to search remote CKAN instance " + api.baseUrl()
                        + " using URL '" + url + "'. Error: " + e.getMessage(), delivered, e);
            }
            pages++;
            JsonNode results = result.path("results");
            if (!results.isArray()) {
                throw new SearchException("Response from remote CKAN has no list of results: " + url, delivered,
                        null);
            }
            if (results.isEmpty()) {
                return new Totals(delivered, pages);
            }
            List<JsonNode> page = new ArrayList<>(results.size());
            List<String> ids = new ArrayList<>(results.size());
            results.forEach(item -> {
                page.add(item);
                ids.add(item.isTextual() ? item.asText() : item.path("id").asText(""));
            });
            if (ids.equals(previousIds)) {
                throw new SearchException("The paging doesn't seem to work. URL: " + url, delivered, null);
            }
            JsonNode count = result.get("count");
            if (observer != null && count != null && count.canConvertToLong()) {
                observer.declareTotal(count.asLong());
            }
            handler.accept(page);
            if (observer != null) {
                observer.pageDone(ids);
            }
            delivered += page.size();
            start += page.size();
            previousIds = ids;
            if (count != null && count.canConvertToLong() && start >= count.asLong()) {
                return new Totals(delivered, pages);
            }
        }
    }
}
