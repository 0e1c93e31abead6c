package dev.harvest.queue.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.harvest.api.Settings;
import dev.harvest.api.queue.QueueName;
import dev.harvest.testkit.ExternalServices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The real RabbitMQ of the integration tests: settings pointing at it, a side connection for inspecting and deleting
 * queues, and {@code rabbitmqctl} for what only the broker can do (closing a client's connection, setting a policy).
 */
final class RabbitMqTestBroker {

    private static volatile Boolean rabbitmqctlWorks;

    private RabbitMqTestBroker() {}

    /** @return settings for one site on the test broker, with tuning overrides such as the prefetch */
    static Settings settings(String siteId, Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>();
        values.put("ckan.site_id", siteId);
        values.put(AmqpQueueConfig.HOSTNAME, ExternalServices.rabbitHost());
        values.put(AmqpQueueConfig.PORT, String.valueOf(ExternalServices.rabbitPort()));
        values.put(AmqpQueueConfig.USER_ID, ExternalServices.rabbitUser());
        values.put(AmqpQueueConfig.PASSWORD, ExternalServices.rabbitPassword());
        values.putAll(overrides);
        return key -> Optional.ofNullable(values.get(key));
    }

    static Settings settings(String siteId) {
        return settings(siteId, Map.of());
    }

    /** A plain connection beside the one under test, as a Python ckanext-harvest process would have. */
    static Connection sideConnection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(ExternalServices.rabbitHost());
        factory.setPort(ExternalServices.rabbitPort());
        factory.setUsername(ExternalServices.rabbitUser());
        factory.setPassword(ExternalServices.rabbitPassword());
        return factory.newConnection("harvest-test side connection");
    }

    /** Deletes both queues of the given sites; deleting a missing queue is fine. */
    static void deleteQueues(String... siteIds) throws Exception {
        try (Connection connection = sideConnection(); Channel channel = connection.createChannel()) {
            for (String siteId : siteIds) {
                for (QueueName queue : QueueName.values()) {
                    channel.queueDelete(queue.amqpQueueName(siteId));
                }
            }
        }
    }

    /** @return whether the queue exists, asked on a throwaway channel since a failed passive declare closes it */
    static boolean queueExists(String queueName) throws Exception {
        try (Connection connection = sideConnection()) {
            Channel channel = connection.createChannel();
            try {
                channel.queueDeclarePassive(queueName);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** Skips the calling test (or fails it in CI) unless this process may run {@code rabbitmqctl}. */
    static void requireRabbitmqctl() {
        if (rabbitmqctlWorks == null) {
            try {
                run("list_vhosts");
                rabbitmqctlWorks = true;
            } catch (IOException | AssertionError e) {
                rabbitmqctlWorks = false;
            }
        }
        if (rabbitmqctlWorks) {
            return;
        }
        String reason = "rabbitmqctl is not usable by this process (it needs the broker's host and root)";
        if (ExternalServices.required()) {
            Assertions.fail(reason + "; HARVEST_IT_REQUIRED=true makes this a failure");
        }
        Assumptions.abort(reason + "; skipped");
    }

    /**
     * Closes, from the broker's side, every client connection with that name, as a broker restart, a network
     * partition or an operator would.
     *
     * @return how many connections were closed (at least one, or the test fails)
     */
    static int closeConnectionsNamed(String connectionName) throws IOException {
        List<String> pids = new ArrayList<>();
        String marker = "{\"connection_name\",\"" + connectionName + "\"}";
        for (String line : run("list_connections", "-q", "--no-table-headers", "pid", "client_properties")
                .split("\n")) {
            if (line.contains(marker)) {
                pids.add(line.trim().split("\\s+")[0]);
            }
        }
        Assertions.assertFalse(pids.isEmpty(), "no broker connection is named " + connectionName);
        for (String pid : pids) {
            run("close_connection", pid, "closed by a harvest test");
        }
        return pids.size();
    }

    /** Sets a broker policy on the queues matching the pattern. */
    static void setQueuePolicy(String name, String pattern, String definitionJson) throws IOException {
        run("set_policy", "--apply-to", "queues", name, pattern, definitionJson);
    }

    static void clearPolicy(String name) throws IOException {
        run("clear_policy", name);
    }

    /** Polls a condition until it holds, failing after the timeout; for what the broker does asynchronously. */
    static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                Assertions.fail("timed out after " + timeout + " waiting until " + what);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static String run(String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("rabbitmqctl");
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command, e);
        }
    }
}
