package dev.harvest.benchmark;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The words, organizations, groups, licenses and formats synthetic datasets are made of; modelled on the real CKAN
 * responses in {@code shared/fixtures/ckan} (a Spanish statistics portal and data.gov.uk), so that texts have the
 * usual mix of ASCII and accented characters. Organizations, groups, users and tag ids depend on the portal's seed.
 */
final class Vocabulary {

    record License(String id, String title, boolean open, SerializedString encodedId,
            SerializedString encodedTitle) {
        License(String id, String title, boolean open) {
            this(id, title, open, new SerializedString(id), new SerializedString(title));
        }
    }

    record Format(String name, String extension, String mimetype, boolean tabular, SerializedString encodedName,
            SerializedString encodedMimetype) {
        Format(String name, String extension, String mimetype, boolean tabular) {
            this(name, extension, mimetype, tabular, new SerializedString(name), new SerializedString(mimetype));
        }
    }

    /** Field names and constant values, encoded once. */
    static final class Fields {
        static final SerializedString LICENSE_TITLE = new SerializedString("license_title");
        static final SerializedString MAINTAINER = new SerializedString("maintainer");
        static final SerializedString RELATIONSHIPS_AS_OBJECT = new SerializedString("relationships_as_object");
        static final SerializedString PRIVATE = new SerializedString("private");
        static final SerializedString MAINTAINER_EMAIL = new SerializedString("maintainer_email");
        static final SerializedString NUM_TAGS = new SerializedString("num_tags");
        static final SerializedString ID = new SerializedString("id");
        static final SerializedString METADATA_CREATED = new SerializedString("metadata_created");
        static final SerializedString METADATA_MODIFIED = new SerializedString("metadata_modified");
        static final SerializedString AUTHOR = new SerializedString("author");
        static final SerializedString AUTHOR_EMAIL = new SerializedString("author_email");
        static final SerializedString STATE = new SerializedString("state");
        static final SerializedString VERSION = new SerializedString("version");
        static final SerializedString CREATOR_USER_ID = new SerializedString("creator_user_id");
        static final SerializedString TYPE = new SerializedString("type");
        static final SerializedString RESOURCES = new SerializedString("resources");
        static final SerializedString MIMETYPE = new SerializedString("mimetype");
        static final SerializedString CACHE_URL = new SerializedString("cache_url");
        static final SerializedString HASH = new SerializedString("hash");
        static final SerializedString DESCRIPTION = new SerializedString("description");
        static final SerializedString NAME = new SerializedString("name");
        static final SerializedString FORMAT = new SerializedString("format");
        static final SerializedString URL = new SerializedString("url");
        static final SerializedString DATASTORE_ACTIVE = new SerializedString("datastore_active");
        static final SerializedString CACHE_LAST_UPDATED = new SerializedString("cache_last_updated");
        static final SerializedString PACKAGE_ID = new SerializedString("package_id");
        static final SerializedString CREATED = new SerializedString("created");
        static final SerializedString MIMETYPE_INNER = new SerializedString("mimetype_inner");
        static final SerializedString LAST_MODIFIED = new SerializedString("last_modified");
        static final SerializedString POSITION = new SerializedString("position");
        static final SerializedString REVISION_ID = new SerializedString("revision_id");
        static final SerializedString URL_TYPE = new SerializedString("url_type");
        static final SerializedString RESOURCE_TYPE = new SerializedString("resource_type");
        static final SerializedString SIZE = new SerializedString("size");
        static final SerializedString NUM_RESOURCES = new SerializedString("num_resources");
        static final SerializedString TAGS = new SerializedString("tags");
        static final SerializedString GROUPS = new SerializedString("groups");
        static final SerializedString LICENSE_ID = new SerializedString("license_id");
        static final SerializedString RELATIONSHIPS_AS_SUBJECT = new SerializedString("relationships_as_subject");
        static final SerializedString ORGANIZATION = new SerializedString("organization");
        static final SerializedString ISOPEN = new SerializedString("isopen");
        static final SerializedString NOTES = new SerializedString("notes");
        static final SerializedString OWNER_ORG = new SerializedString("owner_org");
        static final SerializedString EXTRAS = new SerializedString("extras");
        static final SerializedString KEY = new SerializedString("key");
        static final SerializedString VALUE = new SerializedString("value");
        static final SerializedString TITLE = new SerializedString("title");
        static final SerializedString ACTIVE = new SerializedString("active");
        static final SerializedString DATASET = new SerializedString("dataset");
        static final SerializedString UPLOAD = new SerializedString("upload");
        static final SerializedString EMPTY = new SerializedString("");
        static final SerializedString EMPTY_LIST = new SerializedString("[]");

        private Fields() {}
    }

    /** Texts per pool (notes, resource descriptions); datasets pick from them. */
    static final int POOL = 4096;

    static final class Group {
        final String id;
        final String name;
        final String title;
        final String description;
        final String created;
        final String revisionId;

        Group(String id, String name, String title, String description, String created, String revisionId) {
            this.id = id;
            this.name = name;
            this.title = title;
            this.description = description;
            this.created = created;
            this.revisionId = revisionId;
        }
    }

    static final String[] SUBJECTS = {
        "nombres masculinos más frecuentes", "población residente", "energy use", "spend over £25,000",
        "air quality measurements", "public transport punctuality", "padrón municipal", "school enrolments",
        "hospital waiting times", "building permits", "road traffic accidents", "water consumption",
        "renta media por hogar", "tourist arrivals", "índice de precios de consumo", "waste collection",
        "bicycle counters", "electricity generation", "unemployment claimants", "library loans",
        "crime recorded by the police", "emisiones de gases de efecto invernadero", "company registrations",
        "parking occupancy", "noise levels", "flood risk areas", "protected species sightings",
    };

    static final String[] QUALIFIERS = {
        "by month", "by district", "by age group", "by sex", "by nationality", "quarterly", "annual",
        "por provincia", "por municipio", "provisional", "definitive", "weekly", "by sector", "daily totals",
        "(open data)", "time series", "statistics", "por sección censal",
    };

    static final String[] PLACES = {
        "Barcelona", "Madrid", "València", "Sevilla", "Zaragoza", "Málaga", "Bilbao", "A Coruña", "Córdoba",
        "Girona", "Lleida", "Tarragona", "Cádiz", "Logroño", "Pamplona", "León", "Cáceres", "London", "Manchester",
        "Leeds", "Bristol", "Cardiff", "Edinburgh", "Whitehall", "the United Kingdom", "Spain", "Catalunya",
    };

    static final String[] SUBJECT_SLUGS = slugs(SUBJECTS);
    static final String[] QUALIFIER_SLUGS = slugs(QUALIFIERS);
    static final String[] PLACE_SLUGS = slugs(PLACES);

    private static String[] slugs(String[] texts) {
        String[] slugs = new String[texts.length];
        for (int i = 0; i < texts.length; i++) {
            slugs[i] = SyntheticPortal.slug(texts[i]);
        }
        return slugs;
    }

    static final String[] WORDS = {
        "the", "data", "dataset", "of", "and", "in", "for", "by", "with", "from", "this", "is", "published",
        "monthly", "statistics", "population", "municipal", "register", "figures", "are", "provisional", "until",
        "the", "annual", "review", "values", "include", "every", "district", "estimates", "based", "on", "survey",
        "records", "collected", "los", "datos", "de", "la", "el", "en", "por", "estadística", "población",
        "padrón", "continuo", "año", "provincia", "información", "según", "edad", "media", "nacionalidad", "más",
        "frecuentes", "energy", "consumption", "buildings", "meter", "readings", "every", "half", "hour", "supplied",
        "department", "open", "government", "licence", "methodology", "notes", "revised", "series", "quarter",
        "source", "office", "national", "institute", "aggregated", "reported", "available", "download", "formats",
        "including", "CSV", "spreadsheet", "API", "updates", "expected", "changes", "definitions", "coverage",
    };

    static final String[] TAGS = {
        "estadística", "ine", "nombres", "padrón", "población", "provincias", "consumption", "energy",
        "electricity", "buildings", "transport", "environment", "air-quality", "health", "education", "economy",
        "employment", "housing", "tourism", "culture", "waste", "water", "climate", "budget", "spending",
        "crime", "justice", "demography", "census", "municipios", "medio ambiente", "movilidad", "turismo",
        "salud", "educación", "empleo", "vivienda", "presupuestos", "contratación", "geography", "boundaries",
        "open-data", "statistics", "time-series", "gtfs", "bicycles", "parking", "noise", "flooding", "species",
    };

    static final String[] PEOPLE = {
        "INE", "Galdric Puig", "Núria Ferrer", "José Ángel Martín", "Maite Etxeberria", "Lluís Serra",
        "Cabinet Office", "Jane Smith", "Ahmed Khan", "Olivia Brown", "Data Team", "Oficina de Estadística",
        "María José Gómez", "Iñaki Zubizarreta", "Rhiannon Evans", "Seán Ó Briain",
    };

    static final SerializedString[] ENCODED_PEOPLE = new SerializedString[PEOPLE.length];

    static {
        for (int i = 0; i < PEOPLE.length; i++) {
            ENCODED_PEOPLE[i] = new SerializedString(PEOPLE[i]);
        }
    }

    static final License[] LICENSES = {
        new License("other-open", "Other (Open)", true),
        new License("uk-ogl", "UK Open Government Licence (OGL)", true),
        new License("cc-by", "Creative Commons Attribution", true),
        new License("cc-by-sa", "Creative Commons Attribution Share-Alike", true),
        new License("cc-zero", "Creative Commons CCZero", true),
        new License("odc-odbl", "Open Data Commons Open Database License (ODbL)", true),
        new License("notspecified", "License not specified", false),
    };

    static final Format[] FORMATS = {
        new Format("CSV", "csv", "text/csv", true),
        new Format("XLS", "xls", "application/vnd.ms-excel", true),
        new Format("JSON", "json", "application/json", false),
        new Format("PDF", "pdf", "application/pdf", false),
        new Format("XML", "xml", "application/xml", false),
        new Format("ZIP", "zip", "application/zip", false),
        new Format("GeoJSON", "geojson", "application/geo+json", false),
        new Format("XLSX", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true),
    };

    static final String[] RESOURCE_NAMES = {
        "Datos completos", "Full dataset", "Latest release", "Serie histórica", "Data dictionary", "Metadata",
        "Resumen anual", "Monthly extract", "API endpoint", "Boundaries", "70 Whitehall energy data",
    };

    static final String[] EXTRA_KEYS = {
        "URL", "update_frequency", "language", "spatial", "temporal_coverage-from", "temporal_coverage-to",
        "contact_point", "theme",
    };

    static final SerializedString[] ENCODED_EXTRA_KEYS = new SerializedString[EXTRA_KEYS.length];

    static {
        for (int i = 0; i < EXTRA_KEYS.length; i++) {
            ENCODED_EXTRA_KEYS[i] = new SerializedString(EXTRA_KEYS[i]);
        }
    }

    private static final SerializedString[][] RESOURCE_NAME_TABLE = new SerializedString[RESOURCE_NAMES.length][];

    static {
        for (int i = 0; i < RESOURCE_NAMES.length; i++) {
            RESOURCE_NAME_TABLE[i] = new SerializedString[FORMATS.length];
            for (int f = 0; f < FORMATS.length; f++) {
                RESOURCE_NAME_TABLE[i][f] = new SerializedString(RESOURCE_NAMES[i] + " (" + FORMATS[f].name() + ")");
            }
        }
    }

    static final String[] FREQUENCIES = {"daily", "weekly", "monthly", "quarterly", "annual", "other", "irregular"};

    static final String[] THEMES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "JUST", "REGI", "SOCI",
        "TECH", "TRAN"};

    private static final String[] ORGANIZATION_TITLES = {
        "Instituto Nacional de Estadística", "Cabinet Office", "Ajuntament de Barcelona", "Ayuntamiento de Madrid",
        "Generalitat de Catalunya", "Department for Transport", "Environment Agency", "Office for National Statistics",
        "Junta de Andalucía", "Eusko Jaurlaritza", "Met Office", "NHS Digital", "Diputació de Girona",
        "Ajuntament de València", "Xunta de Galicia", "Greater London Authority", "Welsh Government",
        "Scottish Government", "Gobierno de Aragón", "Ayuntamiento de Zaragoza", "Consell de Mallorca",
        "Ministerio de Transportes", "Red Eléctrica", "Agència de Residus de Catalunya", "Transport for London",
        "Ordnance Survey", "HM Treasury", "Home Office", "Ayuntamiento de Sevilla", "Cabildo de Tenerife",
        "Comunidad de Madrid", "Gobierno de Navarra", "Ajuntament de Girona", "Leeds City Council",
        "Bristol City Council", "Manchester City Council", "Ayuntamiento de Málaga", "Principado de Asturias",
        "EURODATA Galdric", "Ayuntamiento de Bilbao",
    };

    private static final String[] GROUP_TITLES = {
        "Economía", "Environment", "Health", "Transport", "Población", "Education", "Energy", "Culture",
        "Government spending", "Housing", "Tourism", "Science",
    };

    private static final ObjectMapper MAPPER = new ObjectMapper();

    final Group[] organizations;
    final Group[] groups;
    final String[] users;
    final String[] tagIds;
    /** Pre-encoded JSON of a dataset's tag, group membership and organization dicts. */
    final SerializedString[] tagJson;
    final SerializedString[] groupMemberJson;
    final SerializedString[] organizationJson;
    private final SerializedString[] emails;
    private final SerializedString[] notes = new SerializedString[POOL];
    private final SerializedString[] descriptions = new SerializedString[POOL];

    Vocabulary(long seed) {
        SplittableRandom random = new SplittableRandom(SyntheticPortal.mix(seed, 0x766f636162L, 0));
        organizations = new Group[ORGANIZATION_TITLES.length];
        for (int i = 0; i < organizations.length; i++) {
            String title = ORGANIZATION_TITLES[i];
            organizations[i] = new Group(uuid(random), SyntheticPortal.slug(title), title,
                    title + " difon dades d'interès general relacionades amb la població, l'economia, el transport, etc.",
                    SyntheticPortal.ckanTime(1_330_000_000_000_000L + random.nextLong(100_000_000_000_000L)),
                    uuid(random));
        }
        groups = new Group[GROUP_TITLES.length];
        for (int i = 0; i < groups.length; i++) {
            String title = GROUP_TITLES[i];
            groups[i] = new Group(uuid(random), SyntheticPortal.slug(title), title,
                    "Datasets about " + title.toLowerCase(java.util.Locale.ROOT) + " from every publisher.",
                    SyntheticPortal.ckanTime(1_330_000_000_000_000L + random.nextLong(100_000_000_000_000L)),
                    uuid(random));
        }
        users = new String[20];
        for (int i = 0; i < users.length; i++) {
            users[i] = uuid(random);
        }
        tagIds = new String[TAGS.length];
        tagJson = new SerializedString[TAGS.length];
        for (int i = 0; i < tagIds.length; i++) {
            tagIds[i] = uuid(random);
            Map<String, Object> tag = new LinkedHashMap<>();
            tag.put("vocabulary_id", null);
            tag.put("state", "active");
            tag.put("display_name", TAGS[i]);
            tag.put("id", tagIds[i]);
            tag.put("name", TAGS[i]);
            tagJson[i] = raw(tag);
        }
        groupMemberJson = new SerializedString[groups.length];
        for (int i = 0; i < groups.length; i++) {
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("description", groups[i].description);
            group.put("display_name", groups[i].title);
            group.put("id", groups[i].id);
            group.put("image_display_url", "");
            group.put("name", groups[i].name);
            group.put("title", groups[i].title);
            groupMemberJson[i] = raw(group);
        }
        organizationJson = new SerializedString[organizations.length];
        for (int i = 0; i < organizations.length; i++) {
            Group org = organizations[i];
            Map<String, Object> dict = new LinkedHashMap<>();
            dict.put("description", org.description);
            dict.put("created", org.created);
            dict.put("title", org.title);
            dict.put("name", org.name);
            dict.put("is_organization", true);
            dict.put("state", "active");
            dict.put("image_url", "");
            dict.put("revision_id", org.revisionId);
            dict.put("type", "organization");
            dict.put("id", org.id);
            dict.put("approval_status", "approved");
            organizationJson[i] = raw(dict);
        }
        emails = new SerializedString[PEOPLE.length * organizations.length];
        for (int person = 0; person < PEOPLE.length; person++) {
            String first = SyntheticPortal.slug(PEOPLE[person].split(" ")[0]);
            for (int org = 0; org < organizations.length; org++) {
                emails[person * organizations.length + org] =
                        new SerializedString(first + "@" + organizations[org].name + ".example.org");
            }
        }
        for (int i = 0; i < POOL; i++) {
            StringBuilder text = new StringBuilder();
            int sentences = 1 + random.nextInt(3);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) {
                    text.append(' ');
                }
                text.append(sentence(random, 8, 18));
            }
            notes[i] = new SerializedString(text.toString());
            descriptions[i] = new SerializedString(sentence(random, 4, 10));
        }
    }

    SerializedString email(int person, int organization) {
        return emails[person * organizations.length + organization];
    }

    SerializedString notes(int index) {
        return notes[index];
    }

    SerializedString description(int index) {
        return descriptions[index];
    }

    static SerializedString resourceName(int name, Format format) {
        int f = 0;
        while (FORMATS[f] != format) {
            f++;
        }
        return RESOURCE_NAME_TABLE[name][f];
    }

    static String sentence(SplittableRandom random, int minWords, int maxWords) {
        int words = minWords + random.nextInt(maxWords - minWords + 1);
        StringBuilder sentence = new StringBuilder(words * 8);
        for (int i = 0; i < words; i++) {
            if (i > 0) {
                sentence.append(' ');
            }
            sentence.append(WORDS[random.nextInt(WORDS.length)]);
        }
        sentence.setCharAt(0, Character.toUpperCase(sentence.charAt(0)));
        return sentence.append('.').toString();
    }

    private static SerializedString raw(Map<String, Object> dict) {
        try {
            return new SerializedString(MAPPER.writeValueAsString(dict));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String uuid(SplittableRandom random) {
        return SyntheticPortal.uuid(random.nextLong(), random.nextLong());
    }
}
