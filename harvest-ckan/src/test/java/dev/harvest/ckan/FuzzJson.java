package dev.harvest.ckan;

import com.fasterxml.jackson.databind.node.TextNode;
import static dev.harvest.ckan.GeneratedInputs.anyChar;
import static dev.harvest.ckan.GeneratedInputs.anyFiniteDouble;
import static dev.harvest.ckan.GeneratedInputs.anyInt;
import static dev.harvest.ckan.GeneratedInputs.frequency;
import static dev.harvest.ckan.GeneratedInputs.ints;
import static dev.harvest.ckan.GeneratedInputs.of;
import static dev.harvest.ckan.GeneratedInputs.oneOf;
import static dev.harvest.ckan.GeneratedInputs.strings;
import static dev.harvest.ckan.GeneratedInputs.unicodeChar;
import static dev.harvest.ckan.GeneratedInputs.weight;

import dev.harvest.ckan.GeneratedInputs.Gen;
import java.util.List;

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
    static Gen<String> text() {
        return oneOf(
                strings(unicodeChar(), 20),
                strings(anyChar(), 12),
                of("", " ", "\n", "\u0000", "\ud800", "INTERNAL-ADMIN-SECRET", "<html>", "\"", "\\"));
    }

    static Gen<String> leaf() {
        return leaf(true);
    }

    /** @param nonFinite whether {@code NaN} and {@code Infinity} may come up */
    static Gen<String> leaf(boolean nonFinite) {
        return oneOf(
                of("null", "true", "false", "-0", "0.0000000000000000000001",
                        "123456789012345678901234567890", "1.5", "-7"),
                // beyond a double, and beyond BigDecimal (exponents past int range): out of range, like NaN
                nonFinite ? of("NaN", "Infinity", "-Infinity", "1e999999", "1e9999999999",
                        "-0.1e9999999999", "0.1e-9999999999") : of("0"),
                anyInt().map(String::valueOf),
                anyFiniteDouble().map(String::valueOf),
                text().map(s -> TextNode.valueOf(s).toString()));
    }

    /** @param depth the most levels of nesting @return JSON values, mostly well-formed (NaN and Infinity aside) */
    static Gen<String> value(int depth) {
        return value(depth, true);
    }

    /** @param depth the most levels of nesting @param nonFinite whether NaN and Infinity leaves come up @return values */
    static Gen<String> value(int depth, boolean nonFinite) {
        if (depth <= 0) {
            return leaf(nonFinite);
        }
        Gen<String> inner = value(depth - 1, nonFinite);
        Gen<String> key = GeneratedInputs.<String>oneOf(of(KEYS), text()).map(s -> TextNode.valueOf(s).toString());
        Gen<String> field = random -> key.next(random) + ":" + inner.next(random);
        return frequency(
                weight(3, leaf(nonFinite)),
                weight(1, inner.list(0, 4).map(items -> "[" + String.join(",", items) + "]")),
                weight(2, field.list(0, 5).map(fields -> "{" + String.join(",", fields) + "}")));
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
    static Gen<String> insertions() {
        return oneOf(
                of("{", "}", "[", "]", "\"", ",", ":", "\\", "NaN", "Infinity", "-", "1e999999", "\u0000",
                        "null", "true", "{\"a\":", "\\u12", "\ud83d", "<", "x"),
                ints(90, 1200).map(FuzzJson::nested),
                leaf());
    }

    static Gen<Mutation> mutation() {
        Gen<Integer> kind = ints(0, 3);
        Gen<Integer> position = ints(0, 100_000);
        Gen<String> insertion = insertions();
        return random -> new Mutation(kind.next(random), position.next(random), insertion.next(random));
    }

    /** @return the text after one to eight random edits */
    static Gen<String> mutationsOf(String valid) {
        return mutation().list(1, 8).map(edits -> {
            String text = valid;
            for (Mutation edit : edits) {
                text = edit.apply(text);
            }
            return text;
        });
    }
}
