package dev.harvest.ckan;

import dev.harvest.api.ConfigValidationException;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.Harvester;
import dev.harvest.testkit.HarvestTestBed;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Changes the configuration of a test bed's source between two jobs, as ckanext-harvest's
 * {@code harvest_source_update} does (spec §5.3): the harvester validates the new configuration and what it returns
 * is stored.
 *
 * <p>The engine has no source update ({@code dev.harvest.core.Harvest} creates, deactivates and clears sources), and
 * neither has the test bed, so this writes {@code harvest_source.config} with plain JDBC through the engine's
 * database, the way {@link HarvestTestBed} itself reads {@code harvest_object}. It uses {@link HarvestTestBed#engine()},
 * engine-internal API: if the engine gains a source update, use that instead.
 */
final class SourceReconfiguration {

    private SourceReconfiguration() {}

    /**
     * @param testBed the test bed that owns the source
     * @param source the source to change
     * @param config the new configuration, validated by the source's harvester as the engine validates a new source's
     * @return the source as the engine now reads it
     * @throws ConfigValidationException if the harvester refuses the configuration
     */
    static HarvestSource reconfigure(HarvestTestBed testBed, HarvestSource source, String config)
            throws ConfigValidationException {
        Harvester harvester = testBed.engine().harvesters().find(source.type())
                .orElseThrow(() -> new IllegalStateException("No harvester of type " + source.type()));
        String stored = harvester.validateConfig(config, testBed.validationContext());
        try (Connection connection = testBed.engine().stores().database().dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement(
                        "update harvest_source set config = ? where id = ?")) {
            update.setString(1, stored == null ? "" : stored);
            update.setString(2, source.id());
            if (update.executeUpdate() != 1) {
                throw new IllegalStateException("Source " + source.name() + " is not in the harvest database");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot change the configuration of source " + source.name() + ": "
                    + e.getMessage(), e);
        }
        HarvestSource changed = testBed.engine().source(source.id());
        if (!changed.config().equals(stored == null ? "" : stored)) {
            throw new IllegalStateException("The engine still reads the old configuration of " + source.name());
        }
        return changed;
    }
}
