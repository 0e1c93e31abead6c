package dev.harvest.core.config;

import dev.harvest.api.SettingDefinition;
import java.util.List;

/** The site settings the engine reads itself: ckanext-harvest's keys, the database and the engine's tuning. */
public final class EngineSettings {

    /** Who owns these settings, in {@code harvester config --list} and in error messages. */
    public static final String OWNER = "harvest-core";

    /** Every setting of the engine, in the order {@code harvester config --list} shows them. */
    public static final List<SettingDefinition> ALL = List.of(
            SettingDefinition.of("ckan.harvest.status_mail.recipients", null,
                    "Comma-separated e-mail addresses that receive the notification mails"),
            SettingDefinition.of("smtp.server", "localhost", "SMTP server of notification mails: host or host:port"),
            SettingDefinition.of("smtp.starttls", "false", "Require STARTTLS on the SMTP connection (true or false)"),
            SettingDefinition.of("smtp.user", null, "SMTP login user (no login when unset)"),
            SettingDefinition.of("smtp.password", null, "SMTP login password"),
            SettingDefinition.of("smtp.mail_from", "harvest@localhost", "Sender address of notification mails"),
            SettingDefinition.of("harvest.mail.connect_timeout", "10",
                    "Seconds to connect to the SMTP server before a notification mail is given up"),
            SettingDefinition.of("harvest.mail.read_timeout", "30",
                    "Seconds each SMTP read or write may take before a notification mail is given up"),
            SettingDefinition.of("ckan.site_id", "default", "Namespaces the queues, as in CKAN"),
            SettingDefinition.of("ckan.site_url", null, "This site's public URL, used in notification mails"),
            SettingDefinition.of("ckan.site_title", "CKAN", "This site's title, used in notification mails"),
            SettingDefinition.of("ckan.harvest.mq.type", null,
                    "Queue backend: memory, redis or amqp (memory without a database setting, else redis)"),
            SettingDefinition.of("ckan.harvest.timeout", null,
                    "Minutes after which a running job is finished as timed out (none by default)"),
            SettingDefinition.of("ckan.harvest.status_mail.errored", "false", "Mail a report of jobs with errors"),
            SettingDefinition.of("ckan.harvest.status_mail.all", "false", "Mail a report of every finished job"),
            SettingDefinition.of("ckan.harvest.log_scope", "-1",
                    "Which log records go to the harvest_log table: -1 none, 0 to 7 as ckanext-harvest"),
            SettingDefinition.of("ckan.harvest.log_level", "debug", "Lowest level written to the harvest_log table"),
            SettingDefinition.of("ckan.harvest.log_timeframe", "30", "Days clean_harvest_log keeps"),
            SettingDefinition.of("ckan.harvest.harvest_source_limit", "100", "Most sources the sources command lists"),
            SettingDefinition.of("ckanext.harvest.default_dataset_name_append", "number-sequence",
                    "How harvesters make a taken dataset name unique: number-sequence or random-hex"),
            SettingDefinition.of("sqlalchemy.url", null,
                    "CKAN's postgresql:// database URL, used when harvest.db.url is not set"),
            SettingDefinition.of("harvest.db.url", null, "JDBC URL of the harvest database (H2 in harvest.data_dir if unset)"),
            SettingDefinition.of("harvest.db.user", null, "Database user"),
            SettingDefinition.of("harvest.db.password", null, "Database password"),
            SettingDefinition.of("harvest.db.pool_size", null,
                    "Most database connections a process opens (sized from its threads when unset)"),
            SettingDefinition.of("harvest.data_dir", "harvest-data", "Folder of the embedded H2 database"),
            SettingDefinition.of("harvest.retry_limit", "5", "Attempts of an object whose worker died before it errors"),
            SettingDefinition.of("harvest.object_lease_seconds", "90",
                    "Seconds an object stays claimed by a worker without a heartbeat (a live worker renews it every"
                            + " third of it, so a dead worker's objects are back in work within this time)"),
            SettingDefinition.of("harvest.gather_lease_seconds", "90",
                    "Seconds a gather stays claimed by a worker without a heartbeat (renewed every third of it, so a"
                            + " dead gatherer's job is gathered again within this time)"),
            SettingDefinition.of("harvest.gather_batch_size", "500", "Objects a gather writes per transaction"),
            SettingDefinition.of("harvest.object_batch_size", "50", "Objects a fetch consumer imports per transaction"),
            SettingDefinition.of("harvest.fetch_parallelism", "4", "Concurrent remote fetches per batch"),
            SettingDefinition.of("harvest.deletion_guard.max_share", "0.5",
                    "Largest share of a source's datasets one harvest may delete (0 to 1)"),
            SettingDefinition.of("harvest.consumer.threads", "4", "Worker threads of a consumer"),
            SettingDefinition.of("harvest.catalog.type", "embedded",
                    "Where datasets go: a catalog provider's type (embedded, ckan, or a plugin's)"),
            SettingDefinition.of("harvest.db.min_idle", "1",
                    "Database connections an idle process keeps open (its pool opens more up to its size on demand)"),
            SettingDefinition.of("harvest.progress.interval_seconds", "5",
                    "Seconds between the progress lines of run_test and import when the output is not a terminal"),
            SettingDefinition.of("harvest.stall_warning_minutes", "10",
                    "Minutes without progress after which jobs and report say why a New or Running job is stalled"),
            // engine bounds and recovery (issue 13)
            SettingDefinition.of("harvest.gather.max_objects", "1000000",
                    "Most objects one gather may create; a gather that reaches it stops with a gather error and no"
                            + " deletions (per source: gather_max_objects)"),
            SettingDefinition.of("harvest.gather.max_seconds", "86400",
                    "Most seconds one gather may run before it stops with a gather error and no deletions (per"
                            + " source: gather_max_seconds)"),
            SettingDefinition.of("harvest.gather.count_margin", "0.1",
                    "Share by which a listing may exceed the record count the remote declared (at least 100 records)"
                            + " before the gather stops with a gather error (per source: gather_count_margin)"),
            SettingDefinition.of("harvest.gather.stalled_after_seconds", "30",
                    "Seconds a gather may wait on its remote without handing the engine a record before it counts as"
                            + " stalled: it goes on, but its gather consumer slot goes to another source's job"),
            SettingDefinition.of("harvest.gather.max_stalled", "16",
                    "Most stalled gathers a gather consumer runs besides its harvest.consumer.threads slots"),
            // The outbound HTTP policy (dev.harvest.api.http.OutboundPolicy), read by every harvester and catalog.
            SettingDefinition.of(dev.harvest.api.http.OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "false",
                    "Let harvesters and catalogs reach loopback, private, link-local and other non-public addresses"
                            + " (tests, demos, trusted networks)"),
            SettingDefinition.of(dev.harvest.api.http.OutboundPolicy.ALLOWED_HOSTS, "",
                    "Comma-separated host names, IP addresses and CIDR ranges that may be reached although not"
                            + " public"),
            SettingDefinition.of(dev.harvest.api.http.OutboundPolicy.CROSS_ORIGIN_REDIRECTS, "false",
                    "Follow redirects to another scheme, host or port (their addresses are still checked)"),
            SettingDefinition.of("harvest.plugins.dir", null,
                    "Folder of plugin jars when --plugins is not given (relative to the configuration file; default:"
                            + " plugins/ beside harvester.jar)"),
            SettingDefinition.of("harvest.serve.run_interval_seconds", "60",
                    "Seconds between two runs of 'run' (start, schedule, finish jobs) inside harvester serve"));

    private EngineSettings() {}
}
