package dev.harvest.ckan;

import static dev.harvest.ckan.GeneratedInputs.anyChar;
import static dev.harvest.ckan.GeneratedInputs.booleans;
import static dev.harvest.ckan.GeneratedInputs.chars;
import static dev.harvest.ckan.GeneratedInputs.charsOf;
import static dev.harvest.ckan.GeneratedInputs.ints;
import static dev.harvest.ckan.GeneratedInputs.of;
import static dev.harvest.ckan.GeneratedInputs.oneOf;
import static dev.harvest.ckan.GeneratedInputs.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogException;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.Dataset;
import dev.harvest.api.catalog.DatasetNames;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.ckan.GeneratedInputs.Gen;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests of CKAN's naming rules as harvest applies them (harvest-api {@link DatasetNames}), each case one seed
 * ({@link GeneratedInputs}).
 */
@ExtendWith(GeneratedInputs.SeedInFailures.class)
class DatasetNamesPropertiesTest {

    /** CKAN's rule for dataset names. */
    static final Pattern NAME = Pattern.compile("^[a-z0-9_-]{2,100}$");
    /** CKAN's munge_tag output: lowercase letters, digits, - and the _ of padding. */
    static final Pattern TAG = Pattern.compile("^[a-z0-9_-]{2,100}$");

    static final Gen<String> TITLES = oneOf(
            strings(anyChar(), 300),
            strings(chars(' ', '~'), 250),
            strings(charsOf("ÀÉÎõüßæøđłþ -_./:2019"), 220),
            of("", " ", "-", "--", "a", "Ω", "\u0000", "2019", "a".repeat(120) + "-2019",
                    "x".repeat(99) + "_2020-2021", "-".repeat(200)));

    static String title(long seed) {
        return TITLES.next(new SplittableRandom(seed));
    }

    static LongStream mungedTitleSeeds() {
        return GeneratedInputs.seeds("mungedTitles", 3000);
    }

    static LongStream candidateNameSeeds() {
        return GeneratedInputs.seeds("candidateNames", 3000);
    }

    static LongStream mungedTagSeeds() {
        return GeneratedInputs.seeds("mungedTags", 3000);
    }

    static LongStream uniqueNameSeeds() {
        return GeneratedInputs.seeds("uniqueNames", 1000);
    }

    /**
     * As CKAN's {@code munge_title_to_name}, the cut of a long name to 95 characters can leave a trailing hyphen, or a
     * double one before a kept year ({@code ...a--90}), because hyphens are cleaned before the cut; munging again
     * removes them. So a second munging may only drop hyphens, and from then on nothing changes. (The first version
     * of this property claimed plain idempotence; generated titles of over 95 characters that disprove it.)
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("mungedTitleSeeds")
    void aMungedTitleIsAlwaysAValidNameAndMungingSettlesAfterOneMore(long seed) {
        String title = title(seed);
        String name = DatasetNames.mungeTitleToName(title);
        assertTrue(NAME.matcher(name).matches(), "'" + name + "' from '" + title + "'");
        String again = DatasetNames.mungeTitleToName(name);
        assertEquals(name.replace("-", ""), again.replace("-", ""),
                "munging again drops hyphens at most: '" + name + "' -> '" + again + "'");
        assertEquals(again, DatasetNames.mungeTitleToName(again), "idempotent from then on");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("candidateNameSeeds")
    void theHarvestersCandidateNameIsAlwaysValid(long seed) {
        String title = title(seed);
        String candidate = CkanHarvester.candidateName(title);
        assertTrue(NAME.matcher(candidate).matches(), "'" + candidate + "' from '" + title + "'");
        assertFalse(candidate.contains("--"), candidate);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("mungedTagSeeds")
    void aMungedTagIsValidAndMungingItAgainChangesNothing(long seed) {
        String tag = title(seed);
        String munged = DatasetNames.mungeTag(tag);
        assertTrue(TAG.matcher(munged).matches(), "'" + munged + "' from '" + tag + "'");
        assertEquals(munged, DatasetNames.mungeTag(munged), "idempotent");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("uniqueNameSeeds")
    void aUniqueNameIsValidAndFreeWhateverIsTaken(long seed) throws CatalogException {
        SplittableRandom random = new SplittableRandom(seed);
        String title = TITLES.next(random);
        int taken = ints(0, 40).next(random);
        boolean randomHex = booleans().next(random);
        String ideal = CkanHarvester.candidateName(title);
        Set<String> names = new HashSet<>();
        names.add(ideal);
        for (int n = 1; n < taken; n++) {
            String suffix = Integer.toString(n);
            names.add(ideal.substring(0, Math.min(ideal.length(), DatasetNames.MAX_NAME_LENGTH - suffix.length()))
                    + suffix);
        }
        DatasetNames.AppendType type = randomHex ? DatasetNames.AppendType.RANDOM_HEX
                : DatasetNames.AppendType.NUMBER_SEQUENCE;

        String unique = DatasetNames.newUniqueName(new TakenNames(names), title, type);

        assertTrue(NAME.matcher(unique).matches(), unique);
        assertFalse(names.contains(unique), unique + " is taken");
    }

    /** A catalog that knows only which names are taken. */
    private record TakenNames(Set<String> names) implements Catalog {
        @Override
        public Optional<Dataset> findDataset(String idOrName) {
            return Optional.empty();
        }

        @Override
        public Dataset createDataset(Dataset dataset) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Dataset updateDataset(Dataset dataset) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void deleteDataset(String id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isDatasetNameTaken(String name) {
            return names.contains(name);
        }

        @Override
        public Optional<CatalogGroup> findGroup(GroupKind kind, String idOrName) {
            return Optional.empty();
        }

        @Override
        public CatalogGroup createGroup(GroupKind kind, CatalogGroup group) {
            throw new UnsupportedOperationException();
        }
    }
}
