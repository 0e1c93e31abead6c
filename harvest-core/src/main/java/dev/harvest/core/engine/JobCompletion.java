package dev.harvest.core.engine;

import dev.harvest.core.notify.JobNotifier;
import dev.harvest.core.store.JobStore;

/**
 * Every way a job becomes {@code Finished}, in one place, so that each is followed by the job's notification: a
 * worker finishing the last object, a gather with nothing to fetch, {@code run}, {@code run_test}, a timeout. The
 * notification is queued after the transaction that finished the job committed, and never fails the caller.
 */
final class JobCompletion {

    private final JobStore jobs;
    private final JobNotifier notifier;

    JobCompletion(JobStore jobs, JobNotifier notifier) {
        this.jobs = jobs;
        this.notifier = notifier;
    }

    /**
     * @param jobId a job
     * @return whether this call finished it (see {@link JobStore#finishJobIfDone(String)})
     */
    boolean finishIfDone(String jobId) {
        boolean finished = jobs.finishJobIfDone(jobId);
        if (finished) {
            notifier.jobFinished(jobId);
        }
        return finished;
    }

    /**
     * @param jobId a running job
     * @param message the timeout's gather error
     * @return whether this call finished it (see {@link JobStore#timeOutJob(String, String)})
     */
    boolean timeOut(String jobId, String message) {
        boolean finished = jobs.timeOutJob(jobId, message);
        if (finished) {
            notifier.jobFinished(jobId);
        }
        return finished;
    }
}
