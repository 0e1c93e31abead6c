package dev.harvest.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.api.FetchContext;
import dev.harvest.api.FetchOutcome;
import dev.harvest.api.GatherContext;
import dev.harvest.api.GatherOutcome;
import dev.harvest.api.Harvester;
import dev.harvest.api.HarvesterInfo;
import dev.harvest.api.ImportContext;
import dev.harvest.api.ImportOutcome;
import dev.harvest.api.NewHarvestObject;
import dev.harvest.api.ValidationContext;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.MutableClock;
import dev.harvest.core.testing.TestDatabases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile remote behind a harvester that pages the way a well-behaved plugin does (it reports each page and the
 * remote's count to the engine), scripted by its source's config:
 *
 * <pre>{"mode": "endless" | "alternate" | "finite", "page": 100, "pages": 3, "count": 1000000000, "prefix": "rec",
 *  "advance_seconds": 10, "swallow": true, "hold_at_page": 3, "second_listing": true, "fetch_blocks": true}</pre>
 *
 * <ul>
 *   <li>{@code endless}: every page brings new guids, forever; {@code alternate}: pages A, B, A, B... as a remote that
 *       ignores {@code start}; {@code finite}: {@code pages} pages, then the end;</li>
 *   <li>{@code advance_seconds}: the test clock moves this much per page (a slow remote, without sleeping);</li>
 *   <li>{@code swallow}: the harvester catches the engine's stop and returns a full listing, as a careless plugin;</li>
 *   <li>{@code hold_at_page}: after that page the gather waits for {@link #release()} (a test aborts the job meanwhile);
 *   </li>
 *   <li>{@code second_listing}: a finite listing is followed by a second listing of the same guids;</li>
 *   <li>{@code fetch_blocks}: each fetch waits, asking {@link FetchContext#isCancelled()}, until it is cancelled.</li>
 * </ul>
 */
final class PagingHarvester implements Harvester {

    static final String NAME = "paging";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock;
    /** Pages requested per source, as a remote's request log. */
    final Map<String, AtomicInteger> pagesRequested = new ConcurrentHashMap<>();
    volatile CountDownLatch held = new CountDownLatch(1);
    /** How many gathers wait at their {@code hold_at_page} now. */
    final AtomicInteger holding = new AtomicInteger();
    volatile CountDownLatch release = new CountDownLatch(1);
    volatile CountDownLatch fetching = new CountDownLatch(1);
    /** The exception a gather ended with (the engine's stop), or null. */
    volatile Throwable gatherEndedWith;

    PagingHarvester(MutableClock clock) {
        this.clock = clock;
    }

    void release() {
        release.countDown();
    }

    /** @return a harvest site with only this harvester, on a fresh database, the given queue and this clock */
    Harvest site(TestDatabases.Kind kind, Map<String, String> settings, InMemoryHarvestQueue queue) {
        return Harvest.builder(TestDatabases.config(kind, settings))
                .discoverHarvesters(false)
                .harvester(this)
                .queue(queue)
                .clock(clock)
                .build();
    }

    int pages(String sourceId) {
        AtomicInteger count = pagesRequested.get(sourceId);
        return count == null ? 0 : count.get();
    }

    @Override
    public HarvesterInfo info() {
        return new HarvesterInfo(NAME, "Paging", "A hostile paged remote");
    }

    @Override
    public String validateConfig(String config, ValidationContext context) {
        return config;
    }

    @Override
    public GatherOutcome gather(GatherContext context) throws Exception {
        JsonNode config = JSON.readTree(context.source().config());
        try {
            listing(context, config);
            if (config.path("second_listing").asBoolean(false)) {
                listing(context, config);
            }
        } catch (java.util.concurrent.CancellationException stop) {
            gatherEndedWith = stop;
            if (config.path("swallow").asBoolean(false)) {
                return GatherOutcome.fullListing();
            }
            throw stop;
        }
        return GatherOutcome.fullListing();
    }

    private void listing(GatherContext context, JsonNode config) throws InterruptedException {
        String mode = config.path("mode").asText("finite");
        int size = config.path("page").asInt(100);
        int pages = config.path("pages").asInt(3);
        long count = config.path("count").asLong(1_000_000_000L);
        long advance = config.path("advance_seconds").asLong(0);
        int holdAt = config.path("hold_at_page").asInt(-1);
        String prefix = config.path("prefix").asText("rec");
        context.listingStarted();
        for (int page = 0; !mode.equals("finite") || page < pages; page++) {
            context.checkCancelled();
            pagesRequested.computeIfAbsent(context.source().id(), id -> new AtomicInteger()).incrementAndGet();
            clock.advance(Duration.ofSeconds(advance));
            int first = mode.equals("alternate") ? (page % 2) * size : page * size;
            List<String> guids = new ArrayList<>(size);
            context.declareTotal(count);
            for (int i = 0; i < size; i++) {
                String guid = String.format("%s-%09d", prefix, first + i);
                guids.add(guid);
                context.emit(NewHarvestObject.withContent(guid, "record " + guid));
            }
            context.pageDone(guids);
            if (page + 1 == holdAt) {
                holding.incrementAndGet();
                held.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } finally {
                    holding.decrementAndGet();
                }
            }
        }
    }

    @Override
    public FetchOutcome fetch(FetchContext context) throws Exception {
        JsonNode config = JSON.readTree(context.source().config());
        if (config.path("fetch_blocks").asBoolean(false)) {
            fetching.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!context.isCancelled() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            context.checkCancelled();
        }
        return FetchOutcome.proceed();
    }

    @Override
    public ImportOutcome importObject(ImportContext context) throws Exception {
        String id = "ds-" + context.object().guid();
        if (context.catalog().findDataset(id).isPresent()) {
            return ImportOutcome.unchanged(id);
        }
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("id", id);
        fields.put("name", id);
        fields.put("notes", context.object().content());
        fields.put("owner_org", context.source().ownerOrg());
        return ImportOutcome.created(context.catalog().createDataset(new Dataset(fields)).id());
    }
}
