package dev.harvest.core.action;

import dev.harvest.api.HarvestJob;
import dev.harvest.api.HarvestSource;
import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.JobReport;
import dev.harvest.core.auth.Actor;
import dev.harvest.core.store.JobStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/** The job actions of spec §5.2 and §5.4. */
final class JobActions {

    private final ActionSupport support;

    JobActions(ActionSupport support) {
        this.support = support;
    }

    void register(BiConsumer<String, Action> reads, BiConsumer<String, Action> writes) {
        writes.accept("harvest_job_create", this::create);
        writes.accept("harvest_job_create_all", this::createAll);
        reads.accept("harvest_job_show", this::show);
        reads.accept("harvest_job_report", this::report);
        reads.accept("harvest_job_list", this::list);
        writes.accept("harvest_job_abort", this::abort);
        writes.accept("harvest_jobs_run", this::run);
        writes.accept("harvest_send_job_to_gather_queue", this::sendToGatherQueue);
        writes.accept("harvest_abort_failed_jobs", this::abortFailedJobs);
    }

    private Object create(Params params, Actor actor) {
        String sourceId = params.required("source_id");
        ActionStore.SourceRow source = support.findSource(sourceId)
                .orElseThrow(() -> new ActionException.NotFound("Harvest source " + sourceId + " does not exist"));
        ActionSupport.requireEdit(actor, source, "User not authorized to create a job for source " + source.id());
        try {
            return support.jobDict(support.harvest.createJob(source.id(), params.bool("run", true)));
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
    }

    private Object createAll(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can create harvest jobs for all sources");
        List<HarvestJob> jobs;
        if (params.bool("run", true)) {
            jobs = support.harvest.createJobsForAllSources();
        } else {
            jobs = new ArrayList<>();
            for (HarvestSource source : support.harvest.sources(false)) {
                try {
                    jobs.add(support.harvest.createJob(source.id(), false));
                } catch (HarvestException e) {
                    // a source with a pending job keeps it, as harvest_job_create_all skips it
                }
            }
        }
        return jobs.stream().map(support::jobDict).toList();
    }

    /** Seeing a job: whoever may edit its source (spec §5.1 {@code harvest_job_show}). */
    private HarvestJob visibleJob(String jobId, Actor actor) {
        HarvestJob job = support.job(jobId);
        ActionStore.SourceRow source = support.findSource(job.sourceId())
                .orElseThrow(() -> new ActionException.NotFound("Harvest source not found"));
        ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                + " not authorized to see jobs from source " + source.id());
        return job;
    }

    private Object show(Params params, Actor actor) {
        return support.jobDict(visibleJob(params.required("id"), actor));
    }

    /**
     * {@code {gather_errors: [{message}], object_errors: {object id: {guid, errors: [{message, line, type}]}}}}; the
     * object errors of at most {@value JobReport#OBJECT_LIMIT} objects, read through a cursor.
     */
    private Object report(Params params, Actor actor) {
        HarvestJob job = visibleJob(params.required("id"), actor);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("gather_errors", support.harvest.queries().gatherErrors(job.id()).stream()
                .map(message -> Map.of("message", message)).toList());
        Map<String, Map<String, Object>> objectErrors = new LinkedHashMap<>();
        support.harvest.queries().forEachError(job.id(), error -> {
            if (error.objectId() == null) {
                return;
            }
            Map<String, Object> object = objectErrors.get(error.objectId());
            if (object == null) {
                if (objectErrors.size() >= JobReport.OBJECT_LIMIT) {
                    return;
                }
                object = new LinkedHashMap<>();
                object.put("guid", error.guid());
                object.put("errors", new ArrayList<Map<String, Object>>());
                objectErrors.put(error.objectId(), object);
            }
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("message", error.message());
            item.put("line", error.line());
            item.put("type", error.stage());
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> errors = (List<Map<String, Object>>) object.get("errors");
            errors.add(item);
        });
        addOriginalUrls(job, objectErrors);
        report.put("object_errors", objectErrors);
        return report;
    }

    /** Spec §5.2: {@code original_url} of each object, where the source's harvester knows the remote document. */
    private void addOriginalUrls(HarvestJob job, Map<String, Map<String, Object>> objectErrors) {
        Optional<HarvestSource> source = support.harvest.queries().findSource(job.sourceId());
        Optional<dev.harvest.api.Harvester> harvester = source.flatMap(s -> support.harvest.harvesters().find(s.type()));
        if (harvester.isEmpty()) {
            return;
        }
        objectErrors.forEach((objectId, object) -> {
            try {
                harvester.get().originalUrl(source.get(), dev.harvest.api.HarvestObject.builder().id(objectId)
                                .guid((String) object.get("guid")).jobId(job.id()).sourceId(job.sourceId()).build())
                        .filter(url -> url.startsWith("http://") || url.startsWith("https://"))
                        .ifPresent(url -> object.put("original_url", url));
            } catch (RuntimeException e) {
                // a harvester that cannot say leaves the link out; the report still shows the errors
            }
        });
    }

    /**
     * Jobs newest first, with statistics and without error summaries. A sysadmin may list every job; others give
     * a {@code source_id} they may edit, or get the jobs of the sources of their organizations.
     */
    private Object list(Params params, Actor actor) {
        ActionSupport.requireLoggedIn(actor, "User " + actor.displayName() + " not authorized to list harvest jobs");
        Optional<String> sourceParam = params.text("source_id");
        JobStatus status = params.text("status").map(value -> {
            try {
                return JobStatus.of(value);
            } catch (IllegalArgumentException e) {
                throw ActionException.Validation.of("status", "Unknown job status " + value
                        + " (New, Running, Finished or Aborted)");
            }
        }).orElse(null);
        List<HarvestJob> jobs;
        if (sourceParam.isPresent()) {
            ActionStore.SourceRow source = support.source(sourceParam.get());
            ActionSupport.requireEdit(actor, source, "User " + actor.displayName()
                    + " not authorized to see jobs from source " + source.id());
            jobs = support.harvest.queries().listJobs(source.id(), status);
        } else if (actor.isSysadmin()) {
            jobs = support.harvest.queries().listJobs(null, status);
        } else {
            Set<String> editable = support.store.listSources(null, false, Integer.MAX_VALUE).stream()
                    .filter(source -> actor.canEdit(source.ownerOrg()))
                    .map(ActionStore.SourceRow::id)
                    .collect(Collectors.toSet());
            jobs = support.harvest.queries().listJobs(null, status).stream()
                    .filter(job -> editable.contains(job.sourceId()))
                    .toList();
        }
        int limit = params.integer("limit", 1000, 0);
        int offset = params.integer("offset", 0, 0);
        List<HarvestJob> page = jobs.stream().skip(offset).limit(limit).toList();
        Map<String, Map<String, Long>> stats = support.store.jobStats(page.stream().map(HarvestJob::id).toList());
        return page.stream().map(job -> Dicts.job(job, stats.get(job.id()), null)).toList();
    }

    private Object abort(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can abort harvest jobs");
        String target = params.text("id").or(() -> params.text("source_id"))
                .orElseThrow(() -> ActionException.Validation.of("id", "Missing value"));
        if (support.findSource(target).isEmpty() && support.harvest.queries().findJob(target).isEmpty()) {
            throw new ActionException.NotFound("Harvest job not found");
        }
        try {
            return support.jobDict(support.harvest.abortJob(target));
        } catch (HarvestException e) {
            if (e.getMessage().contains("has no jobs")) {
                throw new ActionException.NotFound("Error: source has no jobs");
            }
            throw ActionSupport.translate(e);
        }
    }

    private Object run(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can run the pending harvest jobs");
        params.text("source_id").ifPresent(support::source);
        support.harvest.run();
        return List.of();
    }

    private Object sendToGatherQueue(Params params, Actor actor) {
        HarvestJob job = support.job(params.required("id"));
        ActionStore.SourceRow source = support.source(job.sourceId());
        ActionSupport.requireEdit(actor, source, "User not authorized to create a job for source " + source.id());
        if (!source.active()) {
            throw ActionException.Validation.of("id", "Source is not active");
        }
        if (!JobStatus.NEW.value().equals(job.status())) {
            throw new ActionException.Conflict("Job " + job.id() + " is " + job.status()
                    + "; only a New job is sent to the gather queue");
        }
        support.harvest.engine().startJob(job.id());
        return support.jobDict(support.job(job.id()));
    }

    private Object abortFailedJobs(Params params, Actor actor) {
        ActionSupport.requireSysadmin(actor, "Only sysadmins can abort failed harvest jobs");
        if (!params.has("life_span") || params.string("life_span") == null) {
            throw ActionException.Validation.of("life_span", "Missing value");
        }
        int lifeSpan = params.integerOr("life_span", Harvest.DEFAULT_FAILED_JOB_LIFE_SPAN);
        List<String> include = params.list("include");
        List<String> exclude = include.isEmpty() ? params.list("exclude") : List.of();
        try {
            return support.harvest.abortFailedJobs(lifeSpan, include, exclude).message();
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
    }
}
