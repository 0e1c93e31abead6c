package dev.harvest.ckan;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generators of JSON text for the property tests: well-formed values with awkward leaves (NaN, Infinity, huge and
 * tiny numbers, control characters, unpaired surrogates, keys that are CKAN's own), and mutations of a valid text.
 */
final class FuzzJson {

    private FuzzJson() {}

    /** Keys CKAN responses and source configs use, so that random objects hit the code paths that read them. */
    static final List<String> KEYS = List.of("success", "result", "error", "__type", "message", "count", "results",
            "id", "name", "title", "type", "state", "metadata_modified", "resources", "tags", "extras", "groups",
            "organization", "owner_org", "key", "value", "url", "notes");

    /** Text of strings: printable ASCII, Unicode, control characters and lone surrogates. */
    static Arbitrary<String> text() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(20),
                Arbitraries.strings().all().ofMaxLength(12),
                Arbitraries.of("", " ", "\n", "\u0000", "\ud800", "INTERNAL-ADMIN-SECRET", "<html>", "\"", "\\"));
    }

    static Arbitrary<String> leaf() {
        return leaf(true);
    }

    /** @param nonFinite whether {@code NaN} and {@code Infinity} may come up */
    static Arbitrary<String> leaf(boolean nonFinite) {
        return Arbitraries.oneOf(
                Arbitraries.of("null", "true", "false", "-0", "0.0000000000000000000001",
                        "123456789012345678901234567890", "1.5", "-7"),
                // beyond a double, and beyond BigDecimal (exponents past int range): out of range, like NaN
                nonFinite ? Arbitraries.of("NaN", "Infinity", "-Infinity", "1e999999", "1e9999999999",
                        "-0.1e9999999999", "0.1e-9999999999") : Arbitraries.of("0"),
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.doubles().map(String::valueOf),
                text().map(s -> TextNode.valueOf(s).toString()));
    }

    /** @param depth the most levels of nesting @return JSON values, mostly well-formed (NaN and Infinity aside) */
    static Arbitrary<String> value(int depth) {
        return value(depth, true);
    }

    /** @param depth the most levels of nesting @param nonFinite whether NaN and Infinity leaves come up @return values */
    static Arbitrary<String> value(int depth, boolean nonFinite) {
        if (depth <= 0) {
            return leaf(nonFinite);
        }
        Arbitrary<String> inner = value(depth - 1, nonFinite);
        Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of(KEYS), text())
                .map(s -> TextNode.valueOf(s).toString());
        return Arbitraries.frequencyOf(
                Tuple.of(3, leaf(nonFinite)),
                Tuple.of(1, inner.list().ofMaxSize(4).map(items -> "[" + String.join(",", items) + "]")),
                Tuple.of(2, Combinators.combine(key, inner).as((k, v) -> k + ":" + v).list().ofMaxSize(5)
                        .map(fields -> "{" + String.join(",", fields) + "}")));
    }

    /** @return {@code depth} nested arrays around a number */
    static String nested(int depth) {
        return "[".repeat(depth) + "1" + "]".repeat(depth);
    }

    /** One edit of a text: insert, delete or replace at a position, or cut the text there. */
    record Mutation(int kind, int position, String insert) {
        String apply(String text) {
            if (text.isEmpty()) {
                return insert;
            }
            int at = Math.floorMod(position, text.length());
            return switch (kind) {
                case 0 -> text.substring(0, at) + insert + text.substring(at);
                case 1 -> text.substring(0, at) + text.substring(Math.min(text.length(), at + 1 + insert.length()));
                case 2 -> text.substring(0, at) + insert + text.substring(Math.min(text.length(), at + 1));
                default -> text.substring(0, at);
            };
        }
    }

    /** What mutations insert: JSON punctuation, non-standard numbers, deep nesting, garbage. */
    static Arbitrary<String> insertions() {
        return Arbitraries.oneOf(
                Arbitraries.of("{", "}", "[", "]", "\"", ",", ":", "\\", "NaN", "Infinity", "-", "1e999999", "\u0000",
                        "null", "true", "{\"a\":", "\\u12", "\ud83d", "<", "x"),
                Arbitraries.integers().between(90, 1200).map(FuzzJson::nested),
                leaf());
    }

    static Arbitrary<Mutation> mutation() {
        return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 100_000),
                insertions()).as(Mutation::new);
    }

    /** @return the text after one to eight random edits */
    static Arbitrary<String> mutationsOf(String valid) {
        return mutation().list().ofMinSize(1).ofMaxSize(8).map(edits -> {
            String text = valid;
            for (Mutation edit : edits) {
                text = edit.apply(text);
            }
            return text;
        });
    }
}
