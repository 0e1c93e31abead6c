package dev.harvest.core.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.harvest.core.auth.SecretMasking;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * ckanext-harvest's notification mails (spec §13): the error mail and the summary mail, their subjects and their
 * plain-text bodies, from what is known about a finished job.
 *
 * @param subject the subject
 * @param body the plain-text body
 */
public record JobMail(String subject, String body) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /**
     * What a mail says about a job: ckanext-harvest's template variables.
     *
     * @param siteTitle {@code ckan.site_title}
     * @param siteUrl {@code ckan.site_url}
     * @param sourceId the source's id
     * @param sourceTitle the source's title
     * @param config the source's config as stored
     * @param organization the name of the source's organization, or null
     * @param jobId the job
     * @param created when the job was created (UTC)
     * @param finished when the job finished (UTC), or null
     * @param errored records in error (the job statistics' {@code errored})
     * @param added records added
     * @param updated records updated
     * @param deleted records deleted
     * @param jobErrors messages of up to 20 gather errors
     * @param objectErrors every message of up to 20 objects with errors
     */
    public record Facts(String siteTitle, String siteUrl, String sourceId, String sourceTitle, String config,
            String organization, String jobId, LocalDateTime created, LocalDateTime finished, long errored,
            long added, long updated, long deleted, List<String> jobErrors, List<String> objectErrors) {}

    /**
     * The error mail ({@code status_mail.errored} or {@code status_mail.all}, for a job with errors).
     *
     * @param facts the job
     * @return the mail
     */
    public static JobMail error(Facts facts) {
        StringBuilder body = new StringBuilder();
        body.append("This is a failure notification of the latest harvest job set-up in ").append(facts.siteUrl())
                .append(".\n");
        body.append("Job URL: ").append(jobUrl(facts)).append("\n\n");
        body.append("Harvest Source: ").append(facts.sourceTitle()).append('\n');
        body.append("Harvest Configuration: ").append(configuration(facts.config())).append('\n');
        body.append("Organization: ").append(organization(facts)).append("\n\n");
        job(body, facts);
        body.append("Error Summary: ").append(facts.jobErrors().size() + facts.objectErrors().size())
                .append(" errors\n\n");
        list(body, "Job Errors", facts.jobErrors());
        list(body, "Document Error", facts.objectErrors());
        footer(body, facts);
        return new JobMail(facts.siteTitle() + " - Harvesting Job - Error Notification", body.toString());
    }

    /**
     * The summary mail ({@code status_mail.all}, for a job without errors).
     *
     * @param facts the job
     * @return the mail
     */
    public static JobMail summary(Facts facts) {
        StringBuilder body = new StringBuilder();
        body.append("This is a summary of the latest harvest job set-up in ").append(facts.siteUrl()).append(".\n");
        body.append("Job URL: ").append(jobUrl(facts)).append("\n\n");
        body.append("Harvest Source: ").append(facts.sourceTitle()).append('\n');
        body.append("Harvest Configuration: ").append(configuration(facts.config())).append("\n\n");
        body.append("Organization: ").append(organization(facts)).append("\n\n");
        job(body, facts);
        body.append("Error Summary: ").append(facts.jobErrors().size() + facts.objectErrors().size())
                .append(" errors\n");
        list(body, "Job Errors", facts.jobErrors());
        body.append('\n');
        list(body, "Document Error", facts.objectErrors());
        body.append('\n');
        footer(body, facts);
        return new JobMail(facts.siteTitle() + " - Harvesting Job Successful - Summary Notification",
                body.toString());
    }

    /** @return {@code ckan.site_url} joined with {@code /harvest/<source id>/job/<job id>}, as Python's urljoin */
    static String jobUrl(Facts facts) {
        String path = "/harvest/" + facts.sourceId() + "/job/" + facts.jobId();
        String site = facts.siteUrl() == null ? "" : facts.siteUrl();
        java.util.regex.Matcher origin = java.util.regex.Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://[^/]*)")
                .matcher(site);
        return origin.find() ? origin.group(1) + path : path;
    }

    private static void job(StringBuilder body, Facts facts) {
        body.append("Harvest Job Id: ").append(facts.jobId()).append('\n');
        body.append("Created: ").append(isoformat(facts.created())).append('\n');
        body.append("Finished: ").append(isoformat(facts.finished())).append("\n\n");
        body.append("Records in Error: ").append(facts.errored()).append('\n');
        body.append("Records Added: ").append(facts.added()).append('\n');
        body.append("Records Updated: ").append(facts.updated()).append('\n');
        body.append("Records Deleted: ").append(facts.deleted()).append("\n\n");
    }

    private static void list(StringBuilder body, String title, List<String> messages) {
        body.append(title).append(": ").append(messages.size()).append('\n');
        for (String message : messages) {
            body.append("    - ").append(message == null ? "" : message.strip().replace("\n", "\n      ")).append('\n');
        }
    }

    private static void footer(StringBuilder body, Facts facts) {
        body.append("--\n");
        body.append("You are receiving this email because you are currently set-up as Administrator for ")
                .append(facts.siteUrl()).append(".\n");
        body.append("Please do not reply to this email as it was sent from a non-monitored address.\n");
    }

    private static String organization(Facts facts) {
        return facts.organization() == null || facts.organization().isBlank() ? "Not specified" : facts.organization();
    }

    /** Python's {@code datetime.isoformat()}: microseconds only when there are some; {@code None} for null. */
    static String isoformat(LocalDateTime time) {
        if (time == null) {
            return "None";
        }
        String seconds = SECONDS.format(time);
        int micros = time.getNano() / 1000;
        return micros == 0 ? seconds : seconds + String.format(Locale.ROOT, ".%06d", micros);
    }

    /**
     * The configuration as the mail shows it: {@code Not specified} when empty, else the JSON with every credential
     * ({@code api_key}, {@code password}, {@code token}, ... at any depth) masked, as the command line shows it.
     * ckanext-harvest mailed the configuration as stored, credentials included.
     */
    static String configuration(String config) {
        if (config == null || config.isBlank() || config.strip().equals("{}")) {
            return "Not specified";
        }
        try {
            return JSON.writeValueAsString(SecretMasking.mask(JSON.readTree(config)));
        } catch (Exception e) {
            return config;
        }
    }
}
