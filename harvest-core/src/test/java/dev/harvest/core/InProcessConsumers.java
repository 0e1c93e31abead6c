package dev.harvest.core;

import dev.harvest.api.queue.QueueName;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.queue.InMemoryHarvestQueue;
import java.util.concurrent.TimeUnit;

/** Gather and fetch consumers in the test's process, as surviving or next consumer processes would be. */
final class InProcessConsumers {

    private InProcessConsumers() {}

    /**
     * Runs a gather consumer and a fetch consumer until the job is no longer {@code Running} (at most 60 s), then
     * stops them.
     *
     * @return the job's report
     */
    static JobReport untilJobEnds(Harvest harvest, InMemoryHarvestQueue queue, String jobId, int fetchThreads)
            throws InterruptedException {
        ConsumerRunner gather = harvest.engine().consumer(queue, QueueName.GATHER, 1);
        ConsumerRunner fetch = harvest.engine().consumer(queue, QueueName.FETCH, fetchThreads);
        gather.start();
        fetch.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (harvest.queries().findJob(jobId).orElseThrow().status().equals("Running")
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            gather.stop();
            fetch.stop();
        }
        return harvest.report(jobId);
    }
}
