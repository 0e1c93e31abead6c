package dev.harvest.api.catalog;

/** CKAN has two kinds of group: thematic groups, and organizations that own datasets. */
public enum GroupKind {
    /** A CKAN group ({@code group_show}, {@code group_create}). */
    GROUP,
    /** A CKAN organization ({@code organization_show}, {@code organization_create}); datasets have one owner. */
    ORGANIZATION
}
