package dev.harvest.api.catalog;

/** CKAN has two kinds of group: thematic groups, and organizations that own datasets. */
public enum GroupKind {
    GROUP,
    ORGANIZATION
}
