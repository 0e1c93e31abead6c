package dev.harvest.queue.amqp;

import dev.harvest.api.queue.HarvestQueue;
import dev.harvest.api.queue.QueueConsumer;
import dev.harvest.testkit.ExternalServices;
import dev.harvest.testkit.queue.HarvestQueueContract;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;

/**
 * The queue contract, run against a real RabbitMQ with the backend's default settings.
 *
 * <p>AMQP cannot drop a waiting duplicate gather message, so the contract checks that both copies arrive instead.
 */
class AmqpHarvestQueueTest extends HarvestQueueContract {

    AmqpHarvestQueueTest() {
        // The broker re-queues a dead channel's deliveries at once and sets their redelivered flag;
        // queue.purge reports the count.
        super(Duration.ofSeconds(10), true, true, false);
    }

    @BeforeEach
    void requireBroker() {
        ExternalServices.requireRabbitMq();
    }

    @Override
    protected HarvestQueue openQueue(String siteId) throws Exception {
        return new AmqpQueueProvider().open(RabbitMqTestBroker.settings(siteId));
    }

    /** A killed process's channel vanishes without a goodbye; aborting it is what the broker then sees. */
    @Override
    protected void abandon(HarvestQueue queue, QueueConsumer consumer) throws Exception {
        ((AmqpQueueConsumer) consumer).abortChannel();
    }

    @Override
    protected void cleanUp(String siteId) throws Exception {
        RabbitMqTestBroker.deleteQueues(siteId);
    }

    @Override
    protected String siteIdPrefix() {
        return "contract-amqp";
    }
}
