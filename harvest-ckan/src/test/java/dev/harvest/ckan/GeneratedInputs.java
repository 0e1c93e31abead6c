package dev.harvest.ckan;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Small seeded generators for the generated-input tests (*FuzzTest, DatasetNamesPropertiesTest). They are plain JUnit 5
 * {@code @ParameterizedTest}s over {@link #seeds}: each case is one seed, shown in its display name ({@code seed N}),
 * from which the case draws all its input with a {@link SplittableRandom}. The base seed is fixed, so every build
 * tries the same inputs and a failing case is replayed by running its property with its seed (for example
 * {@code @ValueSource(longs = N)} in place of the {@code @MethodSource}); {@link SeedInFailures} puts the seed in
 * the failure message too, where Maven's summary shows it. There is no shrinking: the assertions name the input.
 * (Not jqwik, whose maintainers ask AI agents not to use it.)
 */
final class GeneratedInputs {

    /** The fixed base seed; change it to explore other inputs. */
    static final long BASE_SEED = 0x5EED_4A7E_5700_0001L;

    private GeneratedInputs() {}

    /** Draws one value from a random source. */
    @FunctionalInterface
    interface Gen<T> {
        T next(SplittableRandom random);

        default <R> Gen<R> map(Function<? super T, ? extends R> function) {
            return random -> function.apply(next(random));
        }

        /** @return a generator that draws a value of this one, then draws from the generator made of that value */
        default <R> Gen<R> flatMap(Function<? super T, Gen<R>> function) {
            return random -> function.apply(next(random)).next(random);
        }

        /** @return lists of {@code min} to {@code max} values of this generator */
        default Gen<List<T>> list(int min, int max) {
            return random -> {
                int size = random.nextInt(min, max + 1);
                List<T> items = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    items.add(next(random));
                }
                return items;
            };
        }
    }

    /**
     * @param property a name that sets this property's inputs apart from another's that draws from the same generators
     * @param tries how many cases
     * @return the seeds of the property's cases
     */
    static LongStream seeds(String property, int tries) {
        long base = BASE_SEED ^ ((long) property.hashCode() << 32);
        return LongStream.range(0, tries).map(i -> base + i);
    }

    /** Starts a failure's message with the case's display name ({@code seed N}), so that the summary names the seed. */
    static final class SeedInFailures implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
            if (!context.getDisplayName().startsWith("seed ")) {
                throw thrown;
            }
            String what = thrown instanceof AssertionError ? thrown.getMessage() : thrown.toString();
            throw new AssertionError(context.getDisplayName() + ": " + what, thrown);
        }
    }

    @SafeVarargs
    static <T> Gen<T> of(T... values) {
        return of(List.of(values));
    }

    static <T> Gen<T> of(List<T> values) {
        return random -> values.get(random.nextInt(values.size()));
    }

    /** @return a value of one of the generators, picked with equal chances */
    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... generators) {
        return random -> generators[random.nextInt(generators.length)].next(random);
    }

    /** A generator and its share of the draws in {@link #frequency}. */
    record Weighted<T>(int weight, Gen<? extends T> generator) {}

    static <T> Weighted<T> weight(int weight, Gen<? extends T> generator) {
        return new Weighted<>(weight, generator);
    }

    /** @return a value of one of the generators, picked in proportion to its weight */
    @SafeVarargs
    static <T> Gen<T> frequency(Weighted<? extends T>... choices) {
        int total = 0;
        for (Weighted<? extends T> choice : choices) {
            total += choice.weight();
        }
        int sum = total;
        return random -> {
            int ticket = random.nextInt(sum);
            for (Weighted<? extends T> choice : choices) {
                ticket -= choice.weight();
                if (ticket < 0) {
                    return choice.generator().next(random);
                }
            }
            throw new IllegalStateException("unreachable");
        };
    }

    /** @return integers from {@code min} to {@code max}, both included */
    static Gen<Integer> ints(int min, int max) {
        return random -> random.nextInt(min, max == Integer.MAX_VALUE ? max : max + 1);
    }

    /** @return any int, the extremes and small numbers more often than their share */
    static Gen<Integer> anyInt() {
        return oneOf(of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE), ints(-1000, 1000),
                random -> random.nextInt());
    }

    /** @return any finite double, from the edges (0, -0, the smallest and largest) and from all its bit patterns */
    static Gen<Double> anyFiniteDouble() {
        Gen<Double> bits = random -> {
            double value;
            do {
                value = Double.longBitsToDouble(random.nextLong());
            } while (!Double.isFinite(value));
            return value;
        };
        return oneOf(of(0.0, -0.0, 1.0, -1.5, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE),
                random -> random.nextDouble(-1e6, 1e6), bits);
    }

    static Gen<Boolean> booleans() {
        return SplittableRandom::nextBoolean;
    }

    /** @return any UTF-16 unit: controls, NUL, and lone surrogates included */
    static Gen<Character> anyChar() {
        return random -> (char) random.nextInt(Character.MAX_VALUE + 1);
    }

    /** @return any UTF-16 unit but a surrogate */
    static Gen<Character> unicodeChar() {
        return random -> {
            char c;
            do {
                c = (char) random.nextInt(Character.MAX_VALUE + 1);
            } while (Character.isSurrogate(c));
            return c;
        };
    }

    static Gen<Character> chars(char first, char last) {
        return random -> (char) random.nextInt(first, last + 1);
    }

    static Gen<Character> charsOf(String chars) {
        return random -> chars.charAt(random.nextInt(chars.length()));
    }

    /** @return strings of up to {@code maxLength} characters; half of them of at most 8, where edge cases live */
    static Gen<String> strings(Gen<Character> chars, int maxLength) {
        return random -> {
            int length = random.nextInt(random.nextBoolean() ? Math.min(8, maxLength) + 1 : maxLength + 1);
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                text.append(chars.next(random).charValue());
            }
            return text.toString();
        };
    }
}
