package dev.harvest.core.migrate;

import dev.harvest.core.HarvestException;

/** A migration that cannot go on: the message says in one line what is wrong and what to do. */
public final class MigrationException extends HarvestException {

    private static final long serialVersionUID = 1L;

    public MigrationException(String message) {
        super(message);
    }
}
