/**
 * Test support for harvest plugins: add {@code dev.harvest:harvest-testkit} as a test dependency.
 *
 * <ul>
 * <li>{@link dev.harvest.testkit.HarvesterContract}: the tests every harvester must pass, through the real engine.
 * <li>{@link dev.harvest.testkit.HarvestTestBed}: runs a harvester through the real engine on H2 in a temporary
 *     directory and reports each job as a {@link dev.harvest.testkit.HarvestResult}.
 * <li>{@link dev.harvest.testkit.FixtureServer}: a loopback HTTP server that plays the remote catalog.
 * <li>{@link dev.harvest.testkit.ExternalServices}: where PostgreSQL, Redis and RabbitMQ live, and skipping or
 *     failing when one is missing.
 * <li>{@link dev.harvest.testkit.catalog.CatalogContract} and {@link dev.harvest.testkit.queue.HarvestQueueContract}:
 *     the tests every catalog and every queue backend must pass.
 * </ul>
 *
 * <p>Only {@link dev.harvest.testkit.HarvestTestBed#engine()} exposes engine-internal API; everything else is in
 * the testkit's own types and harvest-api's.
 */
package dev.harvest.testkit;
