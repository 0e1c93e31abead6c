package dev.harvest.testkit.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.GroupKind;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviour every {@link Catalog} must show, as its Javadoc documents it (CKAN's {@code package_show},
 * {@code package_create}, {@code package_update}, {@code package_delete}, {@code group_show} and
 * {@code group_create} semantics), run by a subclass that supplies the catalog.
 *
 * <pre>{@code
 * class MyCatalogTest extends CatalogContract {
 *     private final MyCatalog catalog = new MyCatalog(...);
 *
 *     @Override
 *     protected Catalog catalog() {
 *         return catalog;
 *     }
 *
 *     @AfterEach
 *     void purge() throws Exception {
 *         for (String id : createdDatasetIds()) {
 *             catalog.purge(id);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Every test works on names and ids of its own (a random suffix after {@link #namePrefix()}), so the catalog may
 * be fresh for each test or shared by all of them, even a remote catalog that other runs use too. The contract never
 * purges what it created, because the {@link Catalog} interface cannot: a subclass that must clean up reads
 * {@link #createdDatasetIds()} and {@link #createdGroupIds(GroupKind)} in an {@code @AfterEach} of its own (which JUnit
 * runs before this class's).
 *
 * <p>One test checks that an update gives a new {@code metadata_modified}: a catalog whose clock stands still
 * between two calls fails it, as it would fail a harvester that detects changes by that field.
 */
public abstract class CatalogContract {

    /** How long the concurrency tests wait for their threads; far more than eight creates take anywhere. */
    private static final long CONCURRENT_DEADLINE_SECONDS = 60;

    private static final int THREADS = 8;

    private Catalog subject;
    private final List<String> datasetIds = Collections.synchronizedList(new ArrayList<>());
    private final Map<GroupKind, List<String>> groupIds = new EnumMap<>(GroupKind.class);

    /** For subclasses. */
    protected CatalogContract() {
        for (GroupKind kind : GroupKind.values()) {
            groupIds.put(kind, Collections.synchronizedList(new ArrayList<>()));
        }
    }

    /**
     * The catalog under test. Called once per test, on the test's first catalog call, so a subclass may build it in
     * its own {@code @BeforeEach}; it may return the same catalog every time.
     *
     * @return the catalog
     * @throws Exception if the catalog cannot be opened
     */
    protected abstract Catalog catalog() throws Exception;

    /**
     * The start of every dataset and group name this suite creates, so that its leftovers in a shared catalog are
     * easy to recognise and purge.
     *
     * @return lowercase letters, digits and {@code -}; at most 40 characters
     */
    protected String namePrefix() {
        return "contract";
    }

    /** @return the ids of the datasets this test created so far, for a subclass's cleanup */
    protected final List<String> createdDatasetIds() {
        synchronized (datasetIds) {
            return List.copyOf(datasetIds);
        }
    }

    /**
     * @param kind groups or organizations
     * @return the ids of the groups of that kind this test created so far, for a subclass's cleanup
     */
    protected final List<String> createdGroupIds(GroupKind kind) {
        List<String> ids = groupIds.get(kind);
        synchronized (ids) {
            return List.copyOf(ids);
        }
    }

    /**
     * A name no other test or run uses: {@code <prefix>-<label>-<8 random hex digits>}.
     *
     * @param label a readable word saying what the name is for
     * @return the name, a valid CKAN name
     */
    protected final String uniqueName(String label) {
        return namePrefix() + "-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * A new, valid package dict with a unique name, a title and notes, and no id.
     *
     * @param label a readable word for the name
     * @return the dict, not yet created
     */
    protected final Dataset newDataset(String label) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("name", uniqueName(label));
        fields.put("title", "Contract dataset " + label);
        fields.put("notes", "Created by the catalog contract");
        return new Dataset(fields);
    }

    /**
     * Creates a dataset in the catalog under test and remembers its id for {@link #createdDatasetIds()}.
     *
     * @param dataset the dict
     * @return what the catalog returned
     * @throws CatalogException if the catalog refuses it
     * @throws Exception if the catalog cannot be opened
     */
    protected final Dataset create(Dataset dataset) throws Exception {
        Dataset created = subject().createDataset(dataset);
        if (created.id() != null) {
            datasetIds.add(created.id());
        }
        return created;
    }

    @AfterEach
    void forgetTheCatalogAndWhatWasCreated() {
        subject = null;
        datasetIds.clear();
        groupIds.values().forEach(List::clear);
    }

    // ------------------------------------------------------------------ findDataset

    @Test
    void aDatasetIsFoundByItsId() throws Exception {
        Dataset created = create(newDataset("by-id"));

        Dataset found = subject().findDataset(created.id()).orElseThrow(
                () -> new AssertionError("dataset " + created.id() + " was created but is not found by its id"));

        assertEquals(created.id(), found.id());
        assertEquals(created.name(), found.name());
        assertEquals("active", found.state());
    }

    @Test
    void aDatasetIsFoundByItsName() throws Exception {
        Dataset created = create(newDataset("by-name"));

        Dataset found = subject().findDataset(created.name()).orElseThrow(
                () -> new AssertionError("dataset " + created.name() + " was created but is not found by its name"));

        assertEquals(created.id(), found.id());
    }

    @Test
    void anUnknownIdOrNameFindsNothing() throws Exception {
        assertEquals(Optional.empty(), subject().findDataset(UUID.randomUUID().toString()));
        assertEquals(Optional.empty(), subject().findDataset(uniqueName("absent")));
    }

    @Test
    void anIdTakesPrecedenceOverTheSameStringAsAnotherDatasetsName() throws Exception {
        String shared = UUID.randomUUID().toString();
        Dataset byId = newDataset("id-owner");
        byId.put("id", shared);
        Dataset withId = create(byId);
        Dataset byName = newDataset("name-owner");
        byName.put("name", shared);
        create(byName);

        Dataset found = find(shared);

        assertEquals(withId.id(), found.id(), "findDataset looks a string up as an id before it looks it up as a name");
    }

    @Test
    void createKeepsTheFieldsItIsGiven() throws Exception {
        Dataset dataset = newDataset("fields");

        create(dataset);

        Dataset found = find(dataset.name());
        assertEquals(dataset.title(), found.title());
        assertEquals(dataset.string("notes"), found.string("notes"));
    }

    // ------------------------------------------------------------------ createDataset

    @Test
    void createKeepsAGivenIdAndReturnsTheIdAndBothTimestamps() throws Exception {
        String id = UUID.randomUUID().toString();
        Dataset dataset = newDataset("given-id");
        dataset.put("id", id);

        Dataset created = create(dataset);

        assertEquals(id, created.id(), "a harvested dataset keeps the remote id it is created with");
        assertFalse(isBlank(created.string("metadata_created")), "create returns metadata_created: " + created);
        assertFalse(isBlank(created.metadataModified()), "create returns metadata_modified: " + created);
        assertEquals(id, find(id).id());
    }

    @Test
    void createWithoutAnIdAssignsOne() throws Exception {
        Dataset created = create(newDataset("no-id"));

        assertFalse(isBlank(created.id()), "create returns the new dataset's id: " + created);
        assertTrue(subject().findDataset(created.id()).isPresent());
    }

    @Test
    void createOfATakenNameFailsWithACatalogException() throws Exception {
        Dataset first = create(newDataset("taken"));
        Dataset second = newDataset("taken");
        second.put("name", first.name());

        assertThrows(CatalogException.class, () -> create(second),
                "a second dataset named " + first.name() + " must be refused");
        assertEquals(first.id(), find(first.name()).id(),
                "the refused create must leave the first dataset in place");
    }

    @Test
    void createWithATakenIdFailsWithACatalogException() throws Exception {
        Dataset first = create(newDataset("taken-id"));
        Dataset second = newDataset("other-name");
        second.put("id", first.id());

        assertThrows(CatalogException.class, () -> create(second),
                "a second dataset with id " + first.id() + " must be refused");
        assertEquals(first.name(), find(first.id()).name(), "the refused create must leave the first dataset as it was");
        assertEquals(Optional.empty(), subject().findDataset(second.name()), "the refused create must create nothing");
    }

    // ------------------------------------------------------------------ updateDataset

    @Test
    void updateReplacesTheFieldsAndRemovesTheOnesLeftOut() throws Exception {
        Dataset dataset = newDataset("replace");
        dataset.put("version", "1.0");
        Dataset created = create(dataset);
        Dataset replacement = new Dataset(Map.of("id", created.id(), "name", created.name(), "title", "New title"));

        Dataset updated = subject().updateDataset(replacement);

        Dataset found = find(created.id());
        assertEquals("New title", updated.title());
        assertEquals("New title", found.title());
        assertNull(found.get("notes"), "package_update semantics: a field left out of an update is removed, but "
                + "notes is still " + found.get("notes"));
        assertNull(found.get("version"), "package_update semantics: a field left out of an update is removed, but "
                + "version is still " + found.get("version"));
    }

    @Test
    void updateGivesANewMetadataModifiedAndKeepsMetadataCreated() throws Exception {
        Dataset created = create(newDataset("modified"));
        Dataset change = created.copy();
        change.put("title", "Changed");

        Dataset updated = subject().updateDataset(change);

        assertNotNull(updated.metadataModified(), "update returns metadata_modified: " + updated);
        assertNotEquals(created.metadataModified(), updated.metadataModified(),
                "an update must give a new metadata_modified; harvesters detect changes by it");
        assertNotEarlier(created.metadataModified(), updated.metadataModified());
        Dataset found = find(created.id());
        assertEquals(updated.metadataModified(), found.metadataModified());
        assertEquals(created.string("metadata_created"), found.string("metadata_created"),
                "an update keeps the creation time");
    }

    @Test
    void updateOfAnUnknownIdFailsWithACatalogException() throws Exception {
        Dataset unknown = newDataset("unknown");
        unknown.put("id", UUID.randomUUID().toString());

        assertThrows(CatalogException.class, () -> subject().updateDataset(unknown));
        assertEquals(Optional.empty(), subject().findDataset(unknown.name()), "a failed update must create nothing");
    }

    @Test
    void updateMakesADeletedDatasetActiveAgain() throws Exception {
        Dataset created = create(newDataset("revived"));
        subject().deleteDataset(created.id());
        Dataset change = find(created.id());
        change.remove("state");
        change.put("title", "Back again");

        Dataset updated = subject().updateDataset(change);

        assertEquals("active", updated.state());
        Dataset found = find(created.id());
        assertEquals("active", found.state(), "a harvested record that reappears makes its dataset active again");
        assertEquals("Back again", found.title());
    }

    // ------------------------------------------------------------------ deleteDataset

    @Test
    void deleteMarksTheDatasetDeletedAndItIsStillFoundByIdAndName() throws Exception {
        Dataset created = create(newDataset("deleted"));

        subject().deleteDataset(created.id());

        Dataset byId = subject().findDataset(created.id())
                .orElseThrow(() -> new AssertionError("a deleted dataset must still be found by its id"));
        Dataset byName = subject().findDataset(created.name())
                .orElseThrow(() -> new AssertionError("a deleted dataset must still be found by its name"));
        assertEquals("deleted", byId.state());
        assertEquals("deleted", byName.state());
        assertEquals(created.id(), byName.id());
    }

    @Test
    void deletingADeletedDatasetAgainIsNotAnError() throws Exception {
        Dataset created = create(newDataset("twice"));
        subject().deleteDataset(created.id());

        subject().deleteDataset(created.id());

        assertEquals("deleted", find(created.id()).state());
    }

    @Test
    void deletingAnUnknownIdIsNotAnErrorAndCreatesNothing() throws Exception {
        String unknown = UUID.randomUUID().toString();

        subject().deleteDataset(unknown);

        assertEquals(Optional.empty(), subject().findDataset(unknown));
    }

    // ------------------------------------------------------------------ isDatasetNameTaken

    @Test
    void anUnusedNameIsNotTaken() throws Exception {
        assertFalse(subject().isDatasetNameTaken(uniqueName("free")));
    }

    @Test
    void theNameOfAnActiveDatasetIsTaken() throws Exception {
        Dataset created = create(newDataset("active"));

        assertTrue(subject().isDatasetNameTaken(created.name()));
    }

    @Test
    void theNameOfADeletedDatasetIsStillTaken() throws Exception {
        Dataset created = create(newDataset("gone"));
        subject().deleteDataset(created.id());

        assertTrue(subject().isDatasetNameTaken(created.name()),
                "a deleted dataset keeps its name, so a new dataset must not be given it");
    }

    // ------------------------------------------------------------------ groups and organizations

    @ParameterizedTest(name = "{0}")
    @EnumSource(GroupKind.class)
    void aGroupIsCreatedWithItsGivenIdAndFoundByIdAndByName(GroupKind kind) throws Exception {
        String id = UUID.randomUUID().toString();
        CatalogGroup group = newGroup(kind, "found");
        group.put("id", id);

        CatalogGroup created = createGroup(kind, group);

        assertEquals(id, created.id(), "a group keeps the id it is created with");
        assertEquals(group.name(), created.name());
        CatalogGroup byId = subject().findGroup(kind, id)
                .orElseThrow(() -> new AssertionError("the " + kind + " is not found by its id " + id));
        CatalogGroup byName = subject().findGroup(kind, group.name())
                .orElseThrow(() -> new AssertionError("the " + kind + " is not found by its name " + group.name()));
        assertEquals(id, byId.id());
        assertEquals(id, byName.id());
        assertEquals(group.title(), byName.title());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GroupKind.class)
    void aGroupCreatedWithoutAnIdIsGivenOne(GroupKind kind) throws Exception {
        CatalogGroup created = createGroup(kind, newGroup(kind, "no-id"));

        assertFalse(isBlank(created.id()), "createGroup returns the new group's id: " + created);
        assertTrue(subject().findGroup(kind, created.id()).isPresent());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GroupKind.class)
    void anUnknownGroupIsNotFound(GroupKind kind) throws Exception {
        assertEquals(Optional.empty(), subject().findGroup(kind, uniqueName("absent")));
        assertEquals(Optional.empty(), subject().findGroup(kind, UUID.randomUUID().toString()));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GroupKind.class)
    void creatingAGroupWithATakenNameFailsWithACatalogException(GroupKind kind) throws Exception {
        CatalogGroup first = createGroup(kind, newGroup(kind, "taken"));
        CatalogGroup second = newGroup(kind, "taken");
        second.put("name", first.name());

        assertThrows(CatalogException.class, () -> createGroup(kind, second),
                "a second " + kind + " named " + first.name() + " must be refused");
        assertEquals(first.id(), subject().findGroup(kind, first.name()).orElseThrow(
                () -> new AssertionError("the first " + kind + " " + first.name() + " is gone")).id());
    }

    // ------------------------------------------------------------------ thread safety

    @Test
    @Timeout(value = 2 * CONCURRENT_DEADLINE_SECONDS, unit = TimeUnit.SECONDS)
    void eightThreadsCreatingDistinctDatasetsAtOnceAllSucceedAndAllAreFound() throws Exception {
        List<Dataset> datasets = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            datasets.add(newDataset("parallel-" + i));
        }

        List<Outcome> outcomes = createConcurrently(datasets);

        for (int i = 0; i < THREADS; i++) {
            Outcome outcome = outcomes.get(i);
            if (outcome.failure() != null) {
                throw new AssertionError("concurrent create of " + datasets.get(i).name() + " failed",
                        outcome.failure());
            }
            Dataset found = subject().findDataset(datasets.get(i).name()).orElseThrow(() ->
                    new AssertionError("a dataset created concurrently is not found: " + outcome.created()));
            assertEquals(outcome.created().id(), found.id());
        }
    }

    @Test
    @Timeout(value = 2 * CONCURRENT_DEADLINE_SECONDS, unit = TimeUnit.SECONDS)
    void ofEightThreadsCreatingTheSameNameAtOnceExactlyOneSucceeds() throws Exception {
        String name = uniqueName("race");
        List<Dataset> datasets = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Dataset dataset = newDataset("race-" + i);
            dataset.put("name", name);
            datasets.add(dataset);
        }

        List<Outcome> outcomes = createConcurrently(datasets);

        List<Dataset> created = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            if (outcome.failure() == null) {
                created.add(outcome.created());
            } else if (!(outcome.failure() instanceof CatalogException)) {
                throw new AssertionError("a create that loses a name race must fail with a CatalogException",
                        outcome.failure());
            }
        }
        assertEquals(1, created.size(), "creates of one name that succeeded: " + created);
        assertEquals(created.get(0).id(), find(name).id());
    }

    /** What one concurrent create returned or threw. */
    private record Outcome(Dataset created, Exception failure) {}

    /** Creates the datasets from as many threads, released together so the creates really overlap. */
    private List<Outcome> createConcurrently(List<Dataset> datasets) throws Exception {
        Catalog catalog = subject();
        CountDownLatch ready = new CountDownLatch(datasets.size());
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService executor = Executors.newFixedThreadPool(datasets.size());
        try {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (Dataset dataset : datasets) {
                futures.add(executor.submit(() -> {
                    ready.countDown();
                    go.await();
                    try {
                        Dataset created = catalog.createDataset(dataset);
                        datasetIds.add(created.id());
                        return new Outcome(created, null);
                    } catch (Exception e) {
                        return new Outcome(null, e);
                    }
                }));
            }
            assertTrue(ready.await(CONCURRENT_DEADLINE_SECONDS, TimeUnit.SECONDS), "the creating threads did not start");
            go.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> future : futures) {
                try {
                    outcomes.add(future.get(CONCURRENT_DEADLINE_SECONDS, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    fail("a creating thread failed outside the catalog call", e.getCause());
                }
            }
            return outcomes;
        } finally {
            executor.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Finds a dataset the test expects to exist, failing with a message that says so instead of a bare
     * {@code NoSuchElementException}.
     */
    private Dataset find(String idOrName) throws Exception {
        return subject().findDataset(idOrName)
                .orElseThrow(() -> new AssertionError("dataset " + idOrName + " is not found, though the test "
                        + "created it and deletes only mark datasets deleted"));
    }

    /** The catalog of the current test, asked for once. */
    private Catalog subject() throws Exception {
        if (subject == null) {
            subject = catalog();
            assertNotNull(subject, "catalog() returned null");
        }
        return subject;
    }

    private CatalogGroup newGroup(GroupKind kind, String label) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("name", uniqueName(kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + label));
        fields.put("title", "Contract " + kind.name().toLowerCase(java.util.Locale.ROOT) + " " + label);
        return new CatalogGroup(fields);
    }

    private CatalogGroup createGroup(GroupKind kind, CatalogGroup group) throws Exception {
        CatalogGroup created = subject().createGroup(kind, group);
        if (created.id() != null) {
            groupIds.get(kind).add(created.id());
        }
        return created;
    }

    /**
     * Checks that a timestamp did not go back, when both are CKAN's ISO-8601 local times; other formats are only
     * required to differ.
     */
    private static void assertNotEarlier(String before, String after) {
        try {
            LocalDateTime first = LocalDateTime.parse(before);
            LocalDateTime second = LocalDateTime.parse(after);
            assertFalse(second.isBefore(first), "metadata_modified went back from " + before + " to " + after);
        } catch (DateTimeParseException e) {
            // Not CKAN's format: ordering cannot be judged without knowing the catalog's.
        }
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
