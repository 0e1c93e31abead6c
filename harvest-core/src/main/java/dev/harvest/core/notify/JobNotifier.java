package dev.harvest.core.notify;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.api.catalog.Catalog;
import dev.harvest.api.catalog.CatalogGroup;
import dev.harvest.api.catalog.GroupKind;
import dev.harvest.core.store.HarvestQueries;
import dev.harvest.core.store.HarvestQueries.ObjectSummary;
import dev.harvest.core.store.JobStats;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mails ckanext-harvest's notifications when a job finishes (spec §13): with
 * {@code ckan.harvest.status_mail.errored} or {@code ckan.harvest.status_mail.all}, the error mail for a job whose
 * statistics count errors; with {@code status_mail.all}, the summary mail for one without.
 *
 * <p>{@link #jobFinished(String)} is called after the transaction that finished the job committed. It returns at
 * once: the mail is composed and sent on a mail thread of its own, so neither the worker that finished the job nor
 * {@code run} waits for the mail server, and every SMTP connect, read and write is bounded by the configured
 * timeouts. A failure (no recipient lookup, a refused connection, a rejected message) is logged as one WARN line
 * and never touches the job. {@link #close()} waits a bounded time for the mails still queued, so that a
 * {@code harvester run} that finished jobs sends their mails before the process exits.
 */
public final class JobNotifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobNotifier.class);
    private static final int ERROR_LIMIT = 20;
    private static final int QUEUE_LIMIT = 1000;

    private final MailSettings settings;
    private final HarvestQueries queries;
    private final Catalog catalog;
    private final RecipientLookup lookup;
    private final MailTransport transport;
    private ThreadPoolExecutor executor;
    private boolean closed;

    /**
     * @param settings when to mail and to whom
     * @param queries the harvest database's read side
     * @param catalog where organization names are looked up
     * @param lookup recipients besides the configured ones
     * @param transport how mails are sent
     */
    public JobNotifier(MailSettings settings, HarvestQueries queries, Catalog catalog, RecipientLookup lookup,
            MailTransport transport) {
        this.settings = settings;
        this.queries = queries;
        this.catalog = catalog;
        this.lookup = lookup;
        this.transport = transport;
    }

    /**
     * Queues the notification of a job that finished, if the settings ask for one. Never throws.
     *
     * @param jobId a job whose {@code Finished} status has been committed
     */
    public void jobFinished(String jobId) {
        if (!settings.enabled()) {
            return;
        }
        try {
            executor().execute(() -> notifyNow(jobId));
        } catch (RejectedExecutionException e) {
            LOG.warn("Notification mail of job {} not sent: {} mails are already waiting for the mail server, or the"
                    + " engine is closing", jobId, QUEUE_LIMIT);
        }
    }

    private synchronized ThreadPoolExecutor executor() {
        if (closed) {
            throw new RejectedExecutionException("closed");
        }
        if (executor == null) {
            executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_LIMIT),
                    runnable -> {
                        Thread thread = new Thread(runnable, "harvest-mail");
                        thread.setDaemon(true);
                        return thread;
                    });
        }
        return executor;
    }

    /**
     * Composes and sends the notification of a finished job in this thread (the mail thread calls it).
     *
     * @param jobId the job
     * @return the number of mails the mail server accepted
     */
    public int notifyNow(String jobId) {
        try {
            Optional<JobMail> mail = compose(jobId);
            if (mail.isEmpty()) {
                return 0;
            }
            HarvestSource source = queries.findSource(queries.findJob(jobId).orElseThrow().sourceId()).orElseThrow();
            List<Recipient> recipients = new ArrayList<>(settings.recipients());
            recipients.addAll(lookup.recipients(source));
            recipients = MailSettings.distinct(recipients);
            if (recipients.isEmpty()) {
                LOG.warn("Notification mail of job {} not sent: no recipients (set ckan.harvest.status_mail.recipients)",
                        jobId);
                return 0;
            }
            int sent = 0;
            for (Recipient recipient : recipients) {
                try {
                    transport.send(recipient, mail.get().subject(), mail.get().body());
                    sent++;
                } catch (Exception e) {
                    LOG.warn("Sending Harvest-Notification-Mail of job {} to {} failed: {}", jobId, recipient.email(),
                            oneLine(e));
                }
            }
            if (sent > 0) {
                LOG.info("Sent the notification mail of job {} to {} recipient(s)", jobId, sent);
            }
            return sent;
        } catch (Exception | Error e) {
            LOG.warn("Notification mail of job {} not sent: {}", jobId, oneLine(e));
            return 0;
        }
    }

    /**
     * @param jobId a job
     * @return the mail the settings ask for, or empty if none (the job is not finished, or has no errors and
     *     {@code status_mail.all} is off)
     */
    public Optional<JobMail> compose(String jobId) {
        Optional<HarvestJob> found = queries.findJob(jobId);
        if (found.isEmpty() || !"Finished".equals(found.get().status())) {
            return Optional.empty();
        }
        HarvestJob job = found.get();
        JobStats stats = queries.jobStats(jobId);
        long errors = stats.count("errored");
        boolean errorMail = errors > 0 && (settings.all() || settings.errored());
        if (!errorMail && !settings.all()) {
            return Optional.empty();
        }
        HarvestSource source = queries.findSource(job.sourceId()).orElseThrow();
        List<String> jobErrors = queries.gatherErrors(jobId).stream().limit(ERROR_LIMIT).toList();
        List<String> objectErrors = new ArrayList<>();
        for (ObjectSummary object : queries.objectsOfJob(jobId, true, ERROR_LIMIT)) {
            objectErrors.addAll(object.errors());
        }
        JobMail.Facts facts = new JobMail.Facts(settings.siteTitle(), settings.siteUrl(), source.id(), source.title(),
                source.config(), organizationName(source), job.id(), utc(job.created()), utc(job.finished()), errors,
                stats.count("added"), stats.count("updated"), stats.count("deleted"), jobErrors, objectErrors);
        return Optional.of(errorMail ? JobMail.error(facts) : JobMail.summary(facts));
    }

    private String organizationName(HarvestSource source) {
        if (source.ownerOrg() == null || source.ownerOrg().isBlank()) {
            return null;
        }
        try {
            return catalog.findGroup(GroupKind.ORGANIZATION, source.ownerOrg()).map(CatalogGroup::name)
                    .orElse(source.ownerOrg());
        } catch (Exception e) {
            return source.ownerOrg();
        }
    }

    private static LocalDateTime utc(Instant instant) {
        return instant == null ? null : LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (root != e) {
            message += " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return message.replaceAll("\\s+", " ").strip();
    }

    /**
     * Stops taking notifications and waits for the queued mails, at most about the time the configured timeouts
     * allow one mail, then gives the rest up with one WARN line.
     */
    @Override
    public void close() {
        ThreadPoolExecutor running;
        synchronized (this) {
            running = executor;
            executor = null;
            closed = true;
        }
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            long waitSeconds = 2L * (settings.connectTimeoutSeconds() + settings.readTimeoutSeconds());
            if (!running.awaitTermination(waitSeconds, TimeUnit.SECONDS)) {
                int dropped = running.shutdownNow().size();
                LOG.warn("Closing: {} notification mail(s) not sent, the mail server did not answer in {} s", dropped,
                        waitSeconds);
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
