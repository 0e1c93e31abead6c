package dev.harvest.benchmark;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.harvest.benchmark.Vocabulary.Fields;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The datasets of one synthetic CKAN portal: {@code count} realistic package dicts (about 3 KB each, shaped like the
 * real {@code package_show} responses in {@code shared/fixtures/ckan}: resources, tags, extras, an organization,
 * groups, notes, dates), generated deterministically from a seed and a serial number, so that nothing but a small
 * index is held in memory and the same seed always gives the same portal.
 *
 * <p>The portal changes only through {@link #mutate}: a share of datasets modified (a new {@code metadata_modified},
 * a new {@code version} and a changed {@code notes}), a share added and a share deleted (purged: {@code package_show}
 * answers CKAN's {@code Not Found Error}). Reads see an immutable snapshot, so they need no lock.
 */
public final class SyntheticPortal {

    /** One dataset's index entry; its dict is generated from {@code serial} and {@code revision}. */
    public record Entry(String id, String name, int serial, int revision, long createdMicros, long modifiedMicros) {}

    /** What one {@link #mutate} did. */
    public record Mutation(List<String> modified, List<String> added, List<String> deleted, Instant at) {}

    /** An immutable state of the portal. */
    private record State(Entry[] byId, Map<String, Entry> byIdOrName, Set<String> purged, int nextSerial,
            int version) {}

    private static final long BASE_FROM = LocalDateTime.parse("2015-01-01T00:00:00").toEpochSecond(ZoneOffset.UTC);
    private static final long BASE_TO = LocalDateTime.parse("2024-06-30T00:00:00").toEpochSecond(ZoneOffset.UTC);
    private static final long LAST_BASE_MODIFIED =
            LocalDateTime.parse("2024-12-31T00:00:00").toEpochSecond(ZoneOffset.UTC);

    private final String name;
    private final long seed;
    private final Vocabulary vocabulary;
    private final Map<String, Entry[]> queryCache = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Entry[]> eldest) {
                    return size() > 16;
                }
            });
    private volatile State state;
    private int mutations;

    /**
     * @param name the portal's name (its URL path prefix)
     * @param seed the seed everything is generated from
     * @param count how many datasets it starts with
     */
    public SyntheticPortal(String name, long seed, int count) {
        this.name = name;
        this.seed = seed;
        this.vocabulary = new Vocabulary(seed);
        Entry[] entries = new Entry[count];
        for (int serial = 0; serial < count; serial++) {
            entries[serial] = baseEntry(serial);
        }
        this.state = newState(entries, Set.of(), count, 0);
    }

    /** @return the portal's name */
    public String name() {
        return name;
    }

    /** @return the number of mutations so far: the state search results and cached pages belong to */
    public int version() {
        return state.version;
    }

    /** @return how many datasets it has now */
    public int size() {
        return state.byId.length;
    }

    /** @return the ids of its datasets now, in id order */
    public List<String> ids() {
        Entry[] entries = state.byId;
        List<String> ids = new ArrayList<>(entries.length);
        for (Entry entry : entries) {
            ids.add(entry.id());
        }
        return ids;
    }

    /**
     * Changes the portal as a remote changes between two harvests. The shares are of the current size, rounded;
     * modified, added and deleted datasets are all different ones, chosen deterministically from the seed and the
     * number of this mutation.
     *
     * @param modifiedShare share of datasets modified (e.g. 0.01)
     * @param addedShare share of datasets added (e.g. 0.005)
     * @param deletedShare share of datasets deleted (e.g. 0.005)
     * @param now the new {@code metadata_modified} of the modified and added datasets
     * @return what changed
     */
    public synchronized Mutation mutate(double modifiedShare, double addedShare, double deletedShare, Instant now) {
        State current = state;
        int size = current.byId.length;
        int modifiedCount = (int) Math.round(size * modifiedShare);
        int addedCount = (int) Math.round(size * addedShare);
        int deletedCount = (int) Math.round(size * deletedShare);
        if (modifiedCount + deletedCount > size) {
            throw new IllegalArgumentException("Cannot modify and delete more datasets than there are");
        }
        mutations++;
        SplittableRandom random = new SplittableRandom(mix(seed, 0x6d75746174696f6eL, mutations));
        // a partial Fisher-Yates shuffle of the positions picks distinct datasets
        int[] positions = new int[size];
        for (int i = 0; i < size; i++) {
            positions[i] = i;
        }
        for (int i = 0; i < modifiedCount + deletedCount; i++) {
            int j = i + random.nextInt(size - i);
            int swap = positions[i];
            positions[i] = positions[j];
            positions[j] = swap;
        }
        long nowMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        Entry[] next = Arrays.copyOf(current.byId, size);
        List<String> modified = new ArrayList<>(modifiedCount);
        for (int i = 0; i < modifiedCount; i++) {
            Entry old = next[positions[i]];
            next[positions[i]] = new Entry(old.id(), old.name(), old.serial(), old.revision() + 1, old.createdMicros(),
                    nowMicros);
            modified.add(old.id());
        }
        Set<String> purged = new HashSet<>(current.purged);
        List<String> deleted = new ArrayList<>(deletedCount);
        Set<Integer> deletedPositions = new HashSet<>();
        for (int i = modifiedCount; i < modifiedCount + deletedCount; i++) {
            deletedPositions.add(positions[i]);
            deleted.add(next[positions[i]].id());
            purged.add(next[positions[i]].id());
        }
        List<Entry> kept = new ArrayList<>(size + addedCount);
        for (int i = 0; i < size; i++) {
            if (!deletedPositions.contains(i)) {
                kept.add(next[i]);
            }
        }
        List<String> added = new ArrayList<>(addedCount);
        int serial = current.nextSerial;
        for (int i = 0; i < addedCount; i++, serial++) {
            Entry base = baseEntry(serial);
            Entry fresh = new Entry(base.id(), base.name(), serial, 0, nowMicros, nowMicros);
            kept.add(fresh);
            added.add(fresh.id());
        }
        state = newState(kept.toArray(Entry[]::new), purged, serial, current.version + 1);
        queryCache.clear();
        return new Mutation(List.copyOf(modified), List.copyOf(added), List.copyOf(deleted), now);
    }

    /**
     * @param idOrName a dataset id or name
     * @return its entry, or null if there is none (never was, or deleted)
     */
    public Entry find(String idOrName) {
        return state.byIdOrName.get(idOrName);
    }

    /** @return whether this id was deleted by a mutation */
    public boolean wasDeleted(String id) {
        return state.purged.contains(id);
    }

    /**
     * The datasets a search matches, in the asked order. Results are cached per state, filter and order, so paging
     * through a search filters and sorts once.
     *
     * @param filter the parsed {@code fq}
     * @param sort the parsed {@code sort}
     * @return the matching entries
     */
    Entry[] matching(SearchFilter filter, SearchSort sort) {
        State current = state;
        if (filter.matchesAll() && sort.isIdAscending()) {
            return current.byId;
        }
        String key = current.version + "\n" + filter.key() + "\n" + sort.key();
        Entry[] cached = queryCache.get(key);
        if (cached != null) {
            return cached;
        }
        Predicate<Entry> predicate = entry -> filter.test(entry, this);
        Entry[] result = Arrays.stream(current.byId).filter(predicate).toArray(Entry[]::new);
        Comparator<Entry> order = sort.comparator();
        if (order != null) {
            Arrays.sort(result, order);
        }
        queryCache.put(key, result);
        return result;
    }

    /** @return the name of the organization of the dataset with this serial */
    String organizationName(int serial) {
        return vocabulary.organizations[organizationIndex(serial)].name;
    }

    /** @return the names of the groups of the dataset with this serial */
    List<String> groupNames(int serial) {
        List<String> names = new ArrayList<>(2);
        for (int index : groupIndexes(serial)) {
            names.add(vocabulary.groups[index].name);
        }
        return names;
    }

    /**
     * @param organization whether an organization (else a group) is asked for
     * @param idOrName its id or name
     * @return it, or null
     */
    Vocabulary.Group group(boolean organization, String idOrName) {
        for (Vocabulary.Group group : organization ? vocabulary.organizations : vocabulary.groups) {
            if (group.id.equals(idOrName) || group.name.equals(idOrName)) {
                return group;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------- generation

    private Entry baseEntry(int serial) {
        SplittableRandom random = new SplittableRandom(mix(seed, 0x656e747279L, serial));
        String id = uuid(random.nextLong(), random.nextLong());
        long created = BASE_FROM + random.nextLong(BASE_TO - BASE_FROM);
        long modified = Math.min(LAST_BASE_MODIFIED, created + random.nextLong(400L * 86_400));
        long createdMicros = created * 1_000_000L + random.nextInt(1_000_000);
        long modifiedMicros = Math.max(createdMicros, modified * 1_000_000L + random.nextInt(1_000_000));
        return new Entry(id, datasetName(serial), serial, 0, createdMicros, modifiedMicros);
    }

    private String datasetName(int serial) {
        return title(serial, true) + "-" + Integer.toString(serial, 36);
    }

    private String title(int serial) {
        return title(serial, false);
    }

    /**
     * A dataset's title, or its name stem: the slug of the title (CKAN's munged name, at most 80 characters) built
     * from the parts' slugs computed once.
     */
    private String title(int serial, boolean slug) {
        SplittableRandom random = new SplittableRandom(mix(seed, 0x7469746c65L, serial));
        StringBuilder title = new StringBuilder(96);
        int subject = random.nextInt(Vocabulary.SUBJECTS.length);
        title.append(slug ? Vocabulary.SUBJECT_SLUGS[subject] : Vocabulary.SUBJECTS[subject]);
        int qualifiers = 1 + random.nextInt(3);
        for (int i = 0; i < qualifiers; i++) {
            int qualifier = random.nextInt(Vocabulary.QUALIFIERS.length);
            title.append(slug ? '-' : ' ')
                    .append(slug ? Vocabulary.QUALIFIER_SLUGS[qualifier] : Vocabulary.QUALIFIERS[qualifier]);
        }
        String preposition = random.nextBoolean() ? "in" : "for";
        int place = random.nextInt(Vocabulary.PLACES.length);
        title.append(slug ? '-' : ' ').append(preposition).append(slug ? '-' : ' ')
                .append(slug ? Vocabulary.PLACE_SLUGS[place] : Vocabulary.PLACES[place]);
        if (random.nextInt(3) == 0) {
            title.append(slug ? "-" : ", ").append(2000 + random.nextInt(25));
        }
        if (slug) {
            int end = Math.min(80, title.length());
            while (end > 0 && title.charAt(end - 1) == '-') {
                end--;
            }
            return title.substring(0, end);
        }
        title.setCharAt(0, Character.toUpperCase(title.charAt(0)));
        return title.toString();
    }

    private int organizationIndex(int serial) {
        return (int) Math.floorMod(mix(seed, 0x6f7267L, serial), (long) vocabulary.organizations.length);
    }

    private int[] groupIndexes(int serial) {
        long bits = mix(seed, 0x67726f757073L, serial);
        int count = (int) Math.floorMod(bits, 3L); // 0, 1 or 2 groups
        int groups = vocabulary.groups.length;
        int first = (int) Math.floorMod(bits >>> 8, (long) groups);
        if (count == 0) {
            return new int[0];
        }
        if (count == 1) {
            return new int[] {first};
        }
        int second = (first + 1 + (int) Math.floorMod(bits >>> 24, (long) (groups - 1))) % groups;
        return new int[] {first, second};
    }

    /**
     * Writes the package dict of an entry, as {@code package_show} and {@code package_search} return it. Repeated
     * parts (field names, tags, groups, organizations, texts from the vocabulary's pools) are written pre-encoded, so
     * that the server stays far faster than any harvest.
     *
     * @param json where to write
     * @param entry the dataset
     * @throws IOException if writing fails
     */
    public void writeDataset(JsonGenerator json, Entry entry) throws IOException {
        int serial = entry.serial();
        SplittableRandom random = new SplittableRandom(mix(seed, 0x636f6e74656e74L, serial));
        SplittableRandom revisionRandom = new SplittableRandom(mix(seed, serial, 0x726576L + entry.revision()));
        String revisionId = uuid(revisionRandom.nextLong(), revisionRandom.nextLong());
        Vocabulary.License license = Vocabulary.LICENSES[random.nextInt(Vocabulary.LICENSES.length)];
        int author = random.nextInt(Vocabulary.PEOPLE.length);
        int maintainer = random.nextInt(Vocabulary.PEOPLE.length);
        int organizationIndex = organizationIndex(serial);
        Vocabulary.Group organization = vocabulary.organizations[organizationIndex];
        String created = ckanTime(entry.createdMicros());
        String modified = ckanTime(entry.modifiedMicros());
        int tagCount = 1 + random.nextInt(5);
        int resourceDraw = random.nextInt(20);
        int resourceCount = resourceDraw < 11 ? 1 : resourceDraw < 18 ? 2 : 3; // 1.55 on average
        int extraCount = 1 + random.nextInt(4);
        String id = entry.id();

        json.writeStartObject();
        json.writeFieldName(Fields.LICENSE_TITLE);
        json.writeString(license.encodedTitle());
        json.writeFieldName(Fields.MAINTAINER);
        json.writeString(Vocabulary.ENCODED_PEOPLE[maintainer]);
        json.writeFieldName(Fields.RELATIONSHIPS_AS_OBJECT);
        json.writeRawValue(Fields.EMPTY_LIST);
        json.writeFieldName(Fields.PRIVATE);
        json.writeBoolean(false);
        json.writeFieldName(Fields.MAINTAINER_EMAIL);
        json.writeString(vocabulary.email(maintainer, organizationIndex));
        json.writeFieldName(Fields.NUM_TAGS);
        json.writeNumber(tagCount);
        json.writeFieldName(Fields.ID);
        json.writeString(id);
        json.writeFieldName(Fields.METADATA_CREATED);
        json.writeString(created);
        json.writeFieldName(Fields.METADATA_MODIFIED);
        json.writeString(modified);
        json.writeFieldName(Fields.AUTHOR);
        json.writeString(Vocabulary.ENCODED_PEOPLE[author]);
        json.writeFieldName(Fields.AUTHOR_EMAIL);
        json.writeString(vocabulary.email(author, organizationIndex));
        json.writeFieldName(Fields.STATE);
        json.writeString(Fields.ACTIVE);
        json.writeFieldName(Fields.VERSION);
        json.writeString("1." + entry.revision());
        json.writeFieldName(Fields.CREATOR_USER_ID);
        json.writeString(vocabulary.users[random.nextInt(vocabulary.users.length)]);
        json.writeFieldName(Fields.TYPE);
        json.writeString(Fields.DATASET);

        json.writeFieldName(Fields.RESOURCES);
        json.writeStartArray();
        String slug = entry.name();
        for (int position = 0; position < resourceCount; position++) {
            String resourceId = uuid(random.nextLong(), random.nextLong());
            Vocabulary.Format format = Vocabulary.FORMATS[random.nextInt(Vocabulary.FORMATS.length)];
            json.writeStartObject();
            json.writeFieldName(Fields.MIMETYPE);
            json.writeString(format.encodedMimetype());
            json.writeFieldName(Fields.CACHE_URL);
            json.writeNull();
            json.writeFieldName(Fields.HASH);
            json.writeString(Fields.EMPTY);
            json.writeFieldName(Fields.DESCRIPTION);
            json.writeString(vocabulary.description(random.nextInt(Vocabulary.POOL)));
            json.writeFieldName(Fields.NAME);
            json.writeString(Vocabulary.resourceName(random.nextInt(Vocabulary.RESOURCE_NAMES.length), format));
            json.writeFieldName(Fields.FORMAT);
            json.writeString(format.encodedName());
            json.writeFieldName(Fields.URL);
            json.writeString("https://data.example.org/download/" + slug + "-" + position + "."
                    + format.extension());
            json.writeFieldName(Fields.DATASTORE_ACTIVE);
            json.writeBoolean(format.tabular() && random.nextBoolean());
            json.writeFieldName(Fields.CACHE_LAST_UPDATED);
            json.writeNull();
            json.writeFieldName(Fields.PACKAGE_ID);
            json.writeString(id);
            json.writeFieldName(Fields.CREATED);
            json.writeString(created);
            json.writeFieldName(Fields.STATE);
            json.writeString(Fields.ACTIVE);
            json.writeFieldName(Fields.MIMETYPE_INNER);
            json.writeNull();
            json.writeFieldName(Fields.LAST_MODIFIED);
            json.writeString(modified);
            json.writeFieldName(Fields.POSITION);
            json.writeNumber(position);
            json.writeFieldName(Fields.REVISION_ID);
            json.writeString(revisionId);
            json.writeFieldName(Fields.URL_TYPE);
            json.writeString(Fields.UPLOAD);
            json.writeFieldName(Fields.ID);
            json.writeString(resourceId);
            json.writeFieldName(Fields.RESOURCE_TYPE);
            json.writeNull();
            json.writeFieldName(Fields.SIZE);
            json.writeNumber(1_000 + random.nextInt(5_000_000));
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeFieldName(Fields.NUM_RESOURCES);
        json.writeNumber(resourceCount);

        json.writeFieldName(Fields.TAGS);
        json.writeStartArray();
        int firstTag = random.nextInt(Vocabulary.TAGS.length);
        for (int i = 0; i < tagCount; i++) {
            json.writeRawValue(vocabulary.tagJson[(firstTag + i * 7) % Vocabulary.TAGS.length]);
        }
        json.writeEndArray();

        json.writeFieldName(Fields.GROUPS);
        json.writeStartArray();
        for (int index : groupIndexes(serial)) {
            json.writeRawValue(vocabulary.groupMemberJson[index]);
        }
        json.writeEndArray();
        json.writeFieldName(Fields.LICENSE_ID);
        json.writeString(license.encodedId());
        json.writeFieldName(Fields.RELATIONSHIPS_AS_SUBJECT);
        json.writeRawValue(Fields.EMPTY_LIST);
        json.writeFieldName(Fields.ORGANIZATION);
        json.writeRawValue(vocabulary.organizationJson[organizationIndex]);
        json.writeFieldName(Fields.NAME);
        json.writeString(entry.name());
        json.writeFieldName(Fields.ISOPEN);
        json.writeBoolean(license.open());
        json.writeFieldName(Fields.URL);
        json.writeString("https://www.example.org/" + organization.name + "/" + slug);
        json.writeFieldName(Fields.NOTES);
        if (entry.revision() == 0) {
            json.writeString(vocabulary.notes(random.nextInt(Vocabulary.POOL)));
        } else {
            json.writeString(vocabulary.notes(random.nextInt(Vocabulary.POOL)).getValue() + "\n\nRevision "
                    + entry.revision() + ": figures updated on " + modified.substring(0, 10) + ".");
        }
        json.writeFieldName(Fields.OWNER_ORG);
        json.writeString(organization.id);

        json.writeFieldName(Fields.EXTRAS);
        json.writeStartArray();
        int firstExtra = random.nextInt(Vocabulary.EXTRA_KEYS.length);
        for (int i = 0; i < extraCount; i++) {
            int key = (firstExtra + i) % Vocabulary.EXTRA_KEYS.length;
            json.writeStartObject();
            json.writeFieldName(Fields.KEY);
            json.writeString(Vocabulary.ENCODED_EXTRA_KEYS[key]);
            json.writeFieldName(Fields.VALUE);
            json.writeString(extraValue(key, random, entry));
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeFieldName(Fields.TITLE);
        json.writeString(title(serial));
        json.writeFieldName(Fields.REVISION_ID);
        json.writeString(revisionId);
        json.writeEndObject();
    }

    private static String extraValue(int key, SplittableRandom random, Entry entry) {
        return switch (Vocabulary.EXTRA_KEYS[key]) {
            case "URL" -> "https://www.example.org/stats/" + entry.name();
            case "update_frequency" -> Vocabulary.FREQUENCIES[random.nextInt(Vocabulary.FREQUENCIES.length)];
            case "language" -> random.nextBoolean() ? "es" : "en";
            case "spatial" -> "{\"type\": \"Point\", \"coordinates\": [" + (random.nextInt(360) - 180) + "."
                    + random.nextInt(1000) + ", " + (random.nextInt(180) - 90) + "." + random.nextInt(1000) + "]}";
            case "temporal_coverage-from" -> Integer.toString(1990 + random.nextInt(30));
            case "temporal_coverage-to" -> Integer.toString(2010 + random.nextInt(15));
            case "contact_point" -> "Unidad de estadística, teléfono +34 9" + (10_000_000 + random.nextInt(89_999_999));
            default -> "http://publications.europa.eu/resource/authority/data-theme/"
                    + Vocabulary.THEMES[random.nextInt(Vocabulary.THEMES.length)];
        };
    }

    private State newState(Entry[] entries, Set<String> purged, int nextSerial, int version) {
        Arrays.sort(entries, Comparator.comparing(Entry::id));
        Map<String, Entry> byIdOrName = new HashMap<>(entries.length * 4);
        for (Entry entry : entries) {
            byIdOrName.put(entry.id(), entry);
            byIdOrName.put(entry.name(), entry);
        }
        return new State(entries, byIdOrName, Set.copyOf(purged), nextSerial, version);
    }

    /** CKAN's timestamp form: UTC without zone, with microseconds ({@code 2020-03-03T14:04:57.436723}). */
    static String ckanTime(long epochMicros) {
        LocalDateTime time = LocalDateTime.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L),
                (int) Math.floorMod(epochMicros, 1_000_000L) * 1000, ZoneOffset.UTC);
        char[] out = new char[26];
        put(out, 0, time.getYear(), 4);
        out[4] = '-';
        put(out, 5, time.getMonthValue(), 2);
        out[7] = '-';
        put(out, 8, time.getDayOfMonth(), 2);
        out[10] = 'T';
        put(out, 11, time.getHour(), 2);
        out[13] = ':';
        put(out, 14, time.getMinute(), 2);
        out[16] = ':';
        put(out, 17, time.getSecond(), 2);
        out[19] = '.';
        put(out, 20, time.getNano() / 1000, 6);
        return new String(out);
    }

    private static void put(char[] out, int at, int value, int digits) {
        for (int i = at + digits - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    static String slug(String text) {
        String ascii = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFD).replaceAll("\\p{M}", "");
        return ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    /** A version 4 UUID string from two random longs. */
    static String uuid(long high, long low) {
        high = (high & 0xffffffffffff0fffL) | 0x0000000000004000L;
        low = (low & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new java.util.UUID(high, low).toString();
    }

    /** A well-mixed 64-bit value of three inputs (SplitMix64's finaliser). */
    static long mix(long a, long b, long c) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L + c;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
