package dev.harvest.ckan;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends HTTP requests to remote CKANs with timeouts, bounded retries and a response size cap.
 *
 * <p>Retries: a request that fails on the network, or answers 429 or 5xx, is sent again up to
 * {@link Builder#maxAttempts(int)} times in all, waiting an exponentially growing delay, or the server's
 * {@code Retry-After} (seconds or an HTTP date) capped at {@link Builder#maxRetryAfter(Duration)}. Requests that are
 * not idempotent (CKAN's POST actions) are retried only when the server certainly did not act on them: connection
 * refused, 429, and 503 with a {@code Retry-After} header (a 503 without one may come from a proxy that gave up while
 * CKAN went on writing). After the last attempt, a 429/5xx response is returned to the caller, which reports it.
 *
 * <p>Besides the connect and read timeouts, which bound each wait for bytes, a call timeout bounds a whole attempt, so
 * that a server trickling a few bytes at a time cannot stall a gather.
 *
 * <p>One instance is thread-safe and meant to be shared: it owns OkHttp's connection pool.
 */
public final class HttpTransport {

    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);

    /** Waits between attempts; replaceable so tests need not sleep. */
    @FunctionalInterface
    public interface Sleeper {
        /**
         * @param delay how long to wait
         * @throws InterruptedException if the thread is interrupted
         */
        void sleep(Duration delay) throws InterruptedException;
    }

    /**
     * A received response whose body was read completely.
     *
     * @param url the final URL
     * @param status the HTTP status
     * @param contentType the {@code Content-Type} header, or {@code null}
     * @param body the body decoded with its charset (UTF-8 when none is declared)
     */
    public record HttpResponse(String url, int status, String contentType, String body) {
        /** @return whether the status is 2xx */
        public boolean isSuccessful() {
            return status >= 200 && status < 300;
        }
    }

    /** The default {@code User-Agent}: {@code harvest/<version> (+ckan harvester)}. */
    public static final String DEFAULT_USER_AGENT = "harvest/" + moduleVersion() + " (+ckan harvester)";

    private final OkHttpClient client;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxRetryAfter;
    private final long maxResponseBytes;
    private final Sleeper sleeper;

    private HttpTransport(Builder builder) {
        this.client = new OkHttpClient.Builder()
                .connectTimeout(builder.connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(builder.readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .writeTimeout(builder.readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .callTimeout(builder.callTimeout.toMillis(), TimeUnit.MILLISECONDS)
                // OkHttp's own silent retry would double our attempt count.
                .retryOnConnectionFailure(false)
                .build();
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.maxRetryAfter = builder.maxRetryAfter;
        this.maxResponseBytes = builder.maxResponseBytes;
        this.sleeper = builder.sleeper;
    }

    /** @return a transport with the default settings */
    public static HttpTransport createDefault() {
        return builder().build();
    }

    /**
     * @return a builder with the defaults: 10 s connect, 60 s read, 5 min per call, 4 attempts, 1 s to 30 s backoff,
     *     50 MiB
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the largest body this transport accepts, in bytes */
    public long maxResponseBytes() {
        return maxResponseBytes;
    }

    /**
     * Sends a request, retrying as described in the class comment.
     *
     * @param request the request
     * @param idempotent whether sending it twice is harmless (GET); POST actions are not
     * @return the last response received
     * @throws CkanRemoteException on a network failure after the last attempt ({@code Request error: ...})
     * @throws ResponseTooLargeException if the body is over the size cap (not retried)
     */
    public HttpResponse send(Request request, boolean idempotent) throws CkanRemoteException {
        String url = request.url().toString();
        for (int attempt = 1; ; attempt++) {
            Received received;
            try {
                received = execute(request);
            } catch (IOException e) {
                boolean retryable = idempotent || e instanceof ConnectException;
                if (!retryable || attempt >= maxAttempts || Thread.currentThread().isInterrupted()) {
                    throw new CkanRemoteException(
                            "Request error: " + describe(e) + " (" + request.method() + " " + url + ")",
                            url, CkanRemoteException.NO_RESPONSE, null, e);
                }
                Duration delay = backoff(attempt);
                LOG.warn("{} {} failed ({}); attempt {} of {} in {} ms", request.method(), url, describe(e),
                        attempt + 1, maxAttempts, delay.toMillis());
                pause(delay, url);
                continue;
            }
            HttpResponse response = received.response();
            boolean retryable = isRetryableStatus(response.status(), idempotent, received.retryAfter());
            if (!retryable || attempt >= maxAttempts) {
                return response;
            }
            Duration delay = retryAfter(received).orElse(backoff(attempt));
            LOG.warn("{} {} answered {}; attempt {} of {} in {} ms", request.method(), url, response.status(),
                    attempt + 1, maxAttempts, delay.toMillis());
            pause(delay, url);
        }
    }

    /** A response with the header that decides the retry delay. */
    private record Received(HttpResponse response, String retryAfter) {}

    private Received execute(Request request) throws IOException, CkanRemoteException {
        String url = request.url().toString();
        try (Response response = client.newCall(request).execute()) {
            ResponseBody body = response.body();
            MediaType mediaType = body.contentType();
            long declaredLength = body.contentLength();
            if (declaredLength > maxResponseBytes) {
                throw oversize(url, declaredLength + " bytes declared");
            }
            BufferedSource source = body.source();
            if (source.request(maxResponseBytes + 1)) {
                throw oversize(url, "more than " + maxResponseBytes + " bytes received");
            }
            Charset charset = mediaType == null ? StandardCharsets.UTF_8 : mediaType.charset(StandardCharsets.UTF_8);
            String text = source.getBuffer().readString(charset);
            return new Received(new HttpResponse(url, response.code(), response.header("Content-Type"), text),
                    response.header("Retry-After"));
        }
    }

    private ResponseTooLargeException oversize(String url, String detail) {
        return new ResponseTooLargeException("Response from " + url + " is larger than the limit of "
                + maxResponseBytes + " bytes (" + detail + ")", url, maxResponseBytes);
    }

    private static boolean isRetryableStatus(int status, boolean idempotent, String retryAfter) {
        if (idempotent) {
            return status == 429 || (status >= 500 && status <= 599);
        }
        // A POST is sent again only when the server says it did not act on it.
        return status == 429 || (status == 503 && retryAfter != null && !retryAfter.isBlank());
    }

    private Duration backoff(int attempt) {
        long millis = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }

    private java.util.Optional<Duration> retryAfter(Received received) {
        String header = received.retryAfter();
        if (header == null || header.isBlank()) {
            return java.util.Optional.empty();
        }
        Duration wanted;
        try {
            wanted = Duration.ofSeconds(Long.parseLong(header.trim()));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime date = ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                wanted = Duration.between(Instant.now(), date.toInstant());
            } catch (DateTimeParseException notDate) {
                LOG.debug("Ignoring unparseable Retry-After '{}' from {}", header, received.response().url());
                return java.util.Optional.empty();
            }
        }
        if (wanted.isNegative()) {
            wanted = Duration.ZERO;
        }
        return java.util.Optional.of(wanted.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : wanted);
    }

    private void pause(Duration delay, String url) throws CkanRemoteException {
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CkanRemoteException("Interrupted while waiting to retry " + url, url,
                    CkanRemoteException.NO_RESPONSE, null, e);
        }
    }

    private static String describe(IOException e) {
        if (e instanceof InterruptedIOException && "timeout".equals(e.getMessage())) {
            return "timeout";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static String moduleVersion() {
        Properties properties = new Properties();
        try (InputStream in = HttpTransport.class.getResourceAsStream("/dev/harvest/ckan/version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // The version only decorates the User-Agent.
        }
        String version = properties.getProperty("version", "");
        return version.isBlank() || version.startsWith("${") ? "dev" : version;
    }

    /** Settings of an {@link HttpTransport}. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(60);
        private Duration callTimeout = Duration.ofMinutes(5);
        private int maxAttempts = 4;
        private Duration initialBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration maxRetryAfter = Duration.ofSeconds(120);
        private long maxResponseBytes = 50L * 1024 * 1024;
        private Sleeper sleeper = delay -> Thread.sleep(delay.toMillis());

        private Builder() {}

        /** @param timeout time to establish a connection @return this */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** @param timeout longest silence while reading a response @return this */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        /**
         * @param timeout longest time one attempt may take, from connecting to reading the last byte of the body
         * @return this
         */
        public Builder callTimeout(Duration timeout) {
            this.callTimeout = positive(timeout, "callTimeout");
            return this;
        }

        /** @param attempts attempts in all, at least 1 (1 = no retry) @return this */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, not " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /** @param initial first backoff delay, doubled at each retry @param max the largest backoff @return this */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = Objects.requireNonNull(initial, "initial");
            this.maxBackoff = Objects.requireNonNull(max, "max");
            return this;
        }

        /** @param max the longest {@code Retry-After} honoured; longer requests wait this long @return this */
        public Builder maxRetryAfter(Duration max) {
            this.maxRetryAfter = Objects.requireNonNull(max, "max");
            return this;
        }

        /** @param bytes the largest response body accepted @return this */
        public Builder maxResponseBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxResponseBytes must be positive, not " + bytes);
            }
            this.maxResponseBytes = bytes;
            return this;
        }

        /** @param sleeper waits between attempts @return this */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /** @return the transport */
        public HttpTransport build() {
            return new HttpTransport(this);
        }

        private static Duration positive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration, not " + value);
            }
            return value;
        }
    }
}
