package dev.harvest.api.queue;

/** The two queues of ckanext-harvest, with its names for them. */
public enum QueueName {
    /** Carries {@code {"harvest_job_id": "<id>"}}: jobs to gather. */
    GATHER("harvest_job_id", "gather"),
    /** Carries {@code {"harvest_object_id": "<id>"}}: objects to fetch and import. */
    FETCH("harvest_object_id", "fetch");

    private final String idField;
    private final String suffix;

    QueueName(String idField, String suffix) {
        this.idField = idField;
        this.suffix = suffix;
    }

    /** @return the JSON field of the message body: {@code harvest_job_id} or {@code harvest_object_id} */
    public String idField() {
        return idField;
    }

    /**
     * The routing key, which is also the Redis list key: {@code ckanext-harvest:<site_id>:harvest_job_id}.
     *
     * @param siteId the {@code ckan.site_id}
     * @return the routing key
     */
    public String routingKey(String siteId) {
        return "ckanext-harvest:" + siteId + ":" + idField;
    }

    /**
     * The AMQP queue name: {@code ckan.harvest.<site_id>.gather} or {@code ckan.harvest.<site_id>.fetch}.
     *
     * @param siteId the {@code ckan.site_id}
     * @return the queue name
     */
    public String amqpQueueName(String siteId) {
        return "ckan.harvest." + siteId + "." + suffix;
    }
}
