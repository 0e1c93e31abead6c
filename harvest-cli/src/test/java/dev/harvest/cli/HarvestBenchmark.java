package dev.harvest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.queue.QueueName;
import dev.harvest.core.Harvest;
import dev.harvest.core.JobReport;
import dev.harvest.core.SourceRequest;
import dev.harvest.core.config.HarvestConfig;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.ScriptedHarvester;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.core.testing.TestDatabases.Kind;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The project's throughput and memory benchmark. It measures and prints; it asserts only that the work was done.
 * Excluded from the normal build; run it with
 * {@code mvn -B -ntp -pl harvest-cli -am test -Dtest.excludedGroups= -Dgroups=benchmark -Dtest=HarvestBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}. Sizes: {@code -Dbench.objects=5000 -Dbench.gather=300000}.
 */
@Tag("benchmark")
class HarvestBenchmark {

    private static final int OBJECTS = Integer.getInteger("bench.objects", 5000);
    private static final int GATHERED = Integer.getInteger("bench.gather", 300_000);

    @Test
    void runTestThroughputOnH2() {
        runTest(Kind.H2);
    }

    @Test
    void runTestThroughputOnPostgresql() {
        runTest(Kind.POSTGRESQL);
    }

    @Test
    void queuedThroughputWithFourFetchThreadsOnPostgresql() throws Exception {
        InMemoryHarvestQueue queue = new InMemoryHarvestQueue("bench");
        try (Harvest harvest = open(Kind.POSTGRESQL, queue)) {
            harvest.createSource(SourceRequest.of("bench", "http://bench.example.org", ScriptedHarvester.NAME)
                    .withConfig("{\"count\": " + OBJECTS + "}"));
            long start = System.nanoTime();
            HarvestJob job = harvest.createJob("bench", true);
            ConsumerRunner gather = new ConsumerRunner(queue, QueueName.GATHER,
                    harvest.engine().handlerFor(QueueName.GATHER), 1);
            ConsumerRunner fetch = new ConsumerRunner(queue, QueueName.FETCH,
                    harvest.engine().handlerFor(QueueName.FETCH), 4);
            gather.start();
            fetch.start();
            while (harvest.store().findJob(job.id()).orElseThrow().status().equals("Running")) {
                Thread.sleep(100);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            gather.stop();
            fetch.stop();
            assertEquals(OBJECTS, harvest.report(job.id()).stats().count("added"));
            print("queued, 1 gather + 4 fetch threads, PostgreSQL", OBJECTS, seconds);
        }
    }

    @Test
    void gatheringALargeSourceUsesBoundedMemory() throws Exception {
        InMemoryHarvestQueue queue = new InMemoryHarvestQueue("bench-gather");
        try (Harvest harvest = open(Kind.POSTGRESQL, queue)) {
            harvest.createSource(SourceRequest.of("big", "http://big.example.org", ScriptedHarvester.NAME)
                    .withConfig("{\"count\": " + GATHERED + "}"));
            HarvestJob job = harvest.createJob("big", true);
            queue.purge(QueueName.GATHER);
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            System.gc();
            long baseline = memory.getHeapMemoryUsage().getUsed();
            AtomicLong peak = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.start();
            long start = System.nanoTime();
            // the fetch queue is drained as the gather publishes, as fetch consumers would
            Thread drain = new Thread(() -> {
                try (var consumer = queue.consumer(QueueName.FETCH)) {
                    while (!Thread.currentThread().isInterrupted()) {
                        consumer.poll(java.time.Duration.ofMillis(200)).ifPresent(delivery -> {
                            try {
                                delivery.ack();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            drain.start();
            harvest.engine().gatherMessage(job.id());
            double seconds = (System.nanoTime() - start) / 1e9;
            sampler.interrupt();
            drain.interrupt();
            long objects = harvest.store().jobStats(job.id()).count("null");
            assertEquals(GATHERED, objects);
            System.out.printf(Locale.ROOT, "BENCHMARK gather of %,d objects, PostgreSQL: %.1f s, %,.0f objects/s,"
                            + " heap peak %,d MiB above a %,d MiB baseline (-Xmx %,d MiB)%n",
                    GATHERED, seconds, GATHERED / seconds, (peak.get() - baseline) >> 20, baseline >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    private void runTest(Kind kind) {
        try (Harvest harvest = open(kind, new InMemoryHarvestQueue("bench"))) {
            harvest.createSource(SourceRequest.of("bench", "http://bench.example.org", ScriptedHarvester.NAME)
                    .withConfig("{\"count\": " + OBJECTS + "}"));
            long start = System.nanoTime();
            JobReport report = harvest.runTest("bench");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(OBJECTS, report.stats().count("added"));
            print("run_test (one thread), " + kind, OBJECTS, seconds);
            start = System.nanoTime();
            JobReport second = harvest.runTest("bench");
            seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(OBJECTS, second.stats().count("not modified"));
            print("run_test again, nothing changed, " + kind, OBJECTS, seconds);
        }
    }

    private static Harvest open(Kind kind, InMemoryHarvestQueue queue) {
        if (kind == Kind.POSTGRESQL) {
            ExternalServices.requirePostgres();
        }
        HarvestConfig config = TestDatabases.config(kind, Map.of());
        return Harvest.builder(config).discoverHarvesters(false).harvester(new ScriptedHarvester()).queue(queue).build();
    }

    private static void print(String scenario, int objects, double seconds) {
        System.out.printf(Locale.ROOT, "BENCHMARK %s: %,d objects in %.1f s = %,.0f objects/s%n", scenario, objects,
                seconds, objects / seconds);
    }
}
