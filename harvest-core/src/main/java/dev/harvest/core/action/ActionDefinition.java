package dev.harvest.core.action;

/**
 * A registered action.
 *
 * @param name its CKAN name, e.g. {@code harvest_source_show}
 * @param sideEffectFree whether it only reads, which CKAN's {@code GET} allows; the others need {@code POST}
 * @param action what it does
 */
public record ActionDefinition(String name, boolean sideEffectFree, Action action) {}
