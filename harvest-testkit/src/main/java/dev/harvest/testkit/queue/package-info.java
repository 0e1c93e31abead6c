/**
 * The queue contract: {@link dev.harvest.testkit.queue.HarvestQueueContract}, the behaviour every
 * {@link dev.harvest.api.queue.HarvestQueue} backend must show.
 *
 * <p>This package needs nothing but harvest-api, JUnit and the JDK, so that a queue backend can depend on the testkit
 * with harvest-core excluded.
 */
package dev.harvest.testkit.queue;
