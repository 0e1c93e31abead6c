package dev.harvest.benchmark;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of Solr's {@code fq} syntax that CKAN clients send to {@code package_search}: terms joined by spaces (AND),
 * alternatives joined by {@code OR}, {@code -} for negation, and the fields {@code metadata_modified} and
 * {@code metadata_created} (ranges {@code [from TO to]}, {@code *} open), {@code id}, {@code name},
 * {@code organization}, {@code groups}, {@code type}/{@code dataset_type}, {@code state} (values, optionally quoted).
 * This is what the CKAN harvester uses: the incremental {@code metadata_modified:[<date>Z TO *]}, the organization and
 * group filters, and {@code id:"<guid>"}. Anything else is refused with {@link IllegalArgumentException}, which the
 * server answers as CKAN's {@code Search Query Error}.
 */
final class SearchFilter {

    private record Term(boolean negated, String field, String value, Long from, Long to) {}

    private final String key;
    /** AND of clauses; each clause is an OR of terms. */
    private final List<List<Term>> clauses;

    private SearchFilter(String key, List<List<Term>> clauses) {
        this.key = key;
        this.clauses = clauses;
    }

    static SearchFilter parse(String fq) {
        String text = fq == null ? "" : fq.strip();
        List<String> tokens = tokenize(text);
        List<List<Term>> clauses = new ArrayList<>();
        boolean or = false;
        for (String token : tokens) {
            if (token.equals("OR")) {
                if (clauses.isEmpty()) {
                    throw new IllegalArgumentException("fq starts with OR: " + fq);
                }
                or = true;
                continue;
            }
            if (token.equals("AND")) {
                continue;
            }
            Term term = term(token);
            if (or) {
                clauses.get(clauses.size() - 1).add(term);
                or = false;
            } else {
                List<Term> clause = new ArrayList<>();
                clause.add(term);
                clauses.add(clause);
            }
        }
        return new SearchFilter(text, clauses);
    }

    boolean matchesAll() {
        return clauses.isEmpty();
    }

    String key() {
        return key;
    }

    boolean test(SyntheticPortal.Entry entry, SyntheticPortal portal) {
        for (List<Term> clause : clauses) {
            boolean any = false;
            for (Term term : clause) {
                if (matches(term, entry, portal) != term.negated()) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(Term term, SyntheticPortal.Entry entry, SyntheticPortal portal) {
        return switch (term.field()) {
            case "metadata_modified" -> inRange(entry.modifiedMicros(), term);
            case "metadata_created" -> inRange(entry.createdMicros(), term);
            case "id" -> entry.id().equals(term.value());
            case "name" -> entry.name().equals(term.value());
            case "organization" -> portal.organizationName(entry.serial()).equals(term.value());
            case "groups" -> portal.groupNames(entry.serial()).contains(term.value());
            case "type", "dataset_type" -> "dataset".equals(term.value());
            case "state" -> "active".equals(term.value());
            default -> throw new IllegalStateException(term.field());
        };
    }

    private static boolean inRange(long micros, Term term) {
        return (term.from() == null || micros >= term.from()) && (term.to() == null || micros <= term.to());
    }

    private static Term term(String token) {
        boolean negated = token.startsWith("-");
        String body = negated || token.startsWith("+") ? token.substring(1) : token;
        if (body.startsWith("(") && body.endsWith(")")) {
            body = body.substring(1, body.length() - 1);
        }
        int colon = body.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("Unsupported fq term '" + token + "'");
        }
        String field = body.substring(0, colon);
        String value = body.substring(colon + 1);
        switch (field) {
            case "metadata_modified", "metadata_created" -> {
                if (!value.startsWith("[") || !value.endsWith("]")) {
                    throw new IllegalArgumentException("Unsupported " + field + " value '" + value
                            + "': only ranges [from TO to] are supported");
                }
                String[] bounds = value.substring(1, value.length() - 1).strip().split("\\s+TO\\s+");
                if (bounds.length != 2) {
                    throw new IllegalArgumentException("Malformed range '" + value + "'");
                }
                return new Term(negated, field, null, bound(bounds[0]), bound(bounds[1]));
            }
            case "id", "name", "organization", "groups", "type", "dataset_type", "state" -> {
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
                }
                return new Term(negated, field, value, null, null);
            }
            default -> throw new IllegalArgumentException("Unsupported fq field '" + field + "'");
        }
    }

    private static Long bound(String text) {
        String value = text.strip();
        if (value.equals("*")) {
            return null;
        }
        if (value.endsWith("Z")) {
            value = value.substring(0, value.length() - 1);
        }
        try {
            LocalDateTime time = LocalDateTime.parse(value);
            return time.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + time.getNano() / 1000;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("Invalid date in range: '" + text + "'");
        }
    }

    /** Splits on spaces, keeping {@code [a TO b]} ranges and quoted values whole. */
    private static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int brackets = 0;
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                current.append(c);
                if (c == '\\' && i + 1 < text.length()) {
                    current.append(text.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                }
                continue;
            }
            if (c == '"') {
                quoted = true;
            } else if (c == '[' || c == '{') {
                brackets++;
            } else if (c == ']' || c == '}') {
                brackets--;
            }
            if (Character.isWhitespace(c) && brackets == 0) {
                if (current.length() > 0) {
                    tokens.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (quoted || brackets != 0) {
            throw new IllegalArgumentException("Unbalanced quotes or brackets in fq: " + text);
        }
        if (current.length() > 0) {
            tokens.add(current.toString());
        }
        return tokens;
    }
}
