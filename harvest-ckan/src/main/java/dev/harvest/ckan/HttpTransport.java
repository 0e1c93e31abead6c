package dev.harvest.ckan;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.UnknownHostException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import dev.harvest.api.http.OutboundPolicy;
import dev.harvest.api.http.OutboundRefusedException;
import io.micrometer.core.instrument.Metrics;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
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
 * <p>Besides the connect and read timeouts, which bound each wait for bytes, a deadline bounds each request as a whole
 * ({@link Builder#callTimeout(Duration)}): every attempt, every redirect, every wait between attempts and the reading
 * of every body, so that a server trickling a few bytes at a time, or answering 503 again and again, holds a thread
 * for no longer than that. A retry that could not finish before the deadline is not started.
 *
 * <p>Outbound policy ({@link OutboundPolicy}): every address a host name resolves to is checked in the DNS hook, so
 * the addresses checked are the ones connected to, the address of every connection is checked again before a request
 * goes out on it, and an IP-literal host is checked before any connection is made. Redirects are followed here, not by
 * OkHttp, for GET requests only, at most {@value #MAX_REDIRECTS} in a row, each one only where
 * {@link OutboundPolicy#redirectRefusal} allows it; the {@code Authorization} header is not sent to another host.
 * A refusal is not retried.
 *
 * <p>Error messages never quote a response body, and a network failure reads {@code could not connect to <host>}
 * whatever happened (refused, reset, timed out, unresolvable): remote servers do not learn about ports of the
 * network from the harvest's messages. Only a request that ran out of its deadline says so.
 *
 * <p>One instance is thread-safe and meant to be shared: it owns OkHttp's connection pool.
 */
public final class HttpTransport {

    /** The meter counting the requests sent to remote CKAN sites, by status. */
    static final String REMOTE_REQUESTS = "harvest.remote.requests";

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
     * @param length the length of the body in bytes, as received
     */
    public record HttpResponse(String url, int status, String contentType, String body, long length) {
        /** @return whether the status is 2xx */
        public boolean isSuccessful() {
            return status >= 200 && status < 300;
        }
    }

    /** The default {@code User-Agent}: {@code harvest/<version> (+ckan harvester)}. */
    public static final String DEFAULT_USER_AGENT = "harvest/" + moduleVersion() + " (+ckan harvester)";

    /** The most redirects followed for one request. */
    public static final int MAX_REDIRECTS = 5;

    private final OkHttpClient client;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxRetryAfter;
    private final Duration deadline;
    private final long maxResponseBytes;
    private final Sleeper sleeper;
    private final OutboundPolicy policy;
    private final LongSupplier nanoTime;

    private HttpTransport(Builder builder) {
        this.policy = builder.policy;
        this.client = new OkHttpClient.Builder()
                .connectTimeout(builder.connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(builder.readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .writeTimeout(builder.readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                // each call gets what is left of its request's deadline (see execute)
                .callTimeout(builder.callTimeout.toMillis(), TimeUnit.MILLISECONDS)
                // OkHttp's own silent retry would double our attempt count.
                .retryOnConnectionFailure(false)
                // redirects are followed in execute, each checked against the policy
                .followRedirects(false)
                .followSslRedirects(false)
                .dns(new PolicyDns(policy))
                .addNetworkInterceptor(new ConnectedAddressCheck(policy))
                .build();
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.maxRetryAfter = builder.maxRetryAfter;
        this.deadline = builder.callTimeout;
        this.maxResponseBytes = builder.maxResponseBytes;
        this.sleeper = builder.sleeper;
        this.nanoTime = builder.nanoTime;
    }

    /** @return the outbound policy this transport enforces */
    public OutboundPolicy policy() {
        return policy;
    }

    /** @return the longest time one request may take in all (attempts, redirects, waits) */
    public Duration deadline() {
        return deadline;
    }

    /** @return a transport with the default settings */
    public static HttpTransport createDefault() {
        return builder().build();
    }

    /**
     * @return a builder with the defaults: 10 s connect, 60 s read, 120 s per request in all, 4 attempts, 1 s to 30 s
     *     backoff, 50 MiB, the default {@link OutboundPolicy} (public addresses only, same-origin redirects)
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the largest body this transport accepts, in bytes */
    public long maxResponseBytes() {
        return maxResponseBytes;
    }

    /**
     * Sends a request, retrying as described in the class comment, within the request deadline.
     *
     * @param request the request
     * @param idempotent whether sending it twice is harmless (GET); POST actions are not
     * @return the last response received
     * @throws CkanRemoteException on a network failure after the last attempt ({@code Request error: could not
     *     connect to <host>}), a refusal of the outbound policy, too many redirects, or the deadline running out
     * @throws ResponseTooLargeException if the body is over the size cap (not retried)
     */
    public HttpResponse send(Request request, boolean idempotent) throws CkanRemoteException {
        String url = request.url().toString();
        long deadlineAt = nanoTime.getAsLong() + deadline.toNanos();
        for (int attempt = 1; ; attempt++) {
            Received received;
            try {
                received = execute(request, deadlineAt);
            } catch (IOException e) {
                Optional<OutboundRefusedException> refused = refusal(e);
                if (refused.isPresent()) {
                    throw new CkanRemoteException("Request error: " + refused.get().getMessage() + " ("
                            + request.method() + " " + url + ")", url, CkanRemoteException.NO_RESPONSE, null,
                            refused.get());
                }
                boolean outOfTime = isDeadline(e) || remaining(deadlineAt) <= 0;
                boolean retryable = (idempotent || e instanceof ConnectException) && !outOfTime;
                Duration delay = backoff(attempt);
                if (!retryable || attempt >= maxAttempts || Thread.currentThread().isInterrupted()
                        || delay.toNanos() >= remaining(deadlineAt)) {
                    String what = outOfTime
                            ? "no complete response from " + request.url().host() + " within the request deadline of "
                                    + deadline.toSeconds() + " s"
                            : "could not connect to " + request.url().host();
                    throw new CkanRemoteException("Request error: " + what + " (" + request.method() + " " + url
                            + ")", url, CkanRemoteException.NO_RESPONSE, null, e);
                }
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
            if (delay.toNanos() >= remaining(deadlineAt)) {
                LOG.warn("{} {} answered {}; no retry, as the request deadline of {} s would pass first",
                        request.method(), url, response.status(), deadline.toSeconds());
                return response;
            }
            LOG.warn("{} {} answered {}; attempt {} of {} in {} ms", request.method(), url, response.status(),
                    attempt + 1, maxAttempts, delay.toMillis());
            pause(delay, url);
        }
    }

    /** A response with the header that decides the retry delay. */
    private record Received(HttpResponse response, String retryAfter) {}

    private long remaining(long deadlineAt) {
        return deadlineAt - nanoTime.getAsLong();
    }

    /**
     * One attempt: the request and the redirects it leads to, each checked against the policy, within what is left of
     * the deadline.
     */
    private Received execute(Request first, long deadlineAt) throws IOException, CkanRemoteException {
        Request request = first;
        for (int redirects = 0; ; redirects++) {
            Optional<String> literal = policy.urlRefusal(request.url().uri());
            if (literal.isPresent()) {
                throw new OutboundRefusedException("Refused by the outbound HTTP policy: " + literal.get());
            }
            long left = remaining(deadlineAt);
            if (left <= 0) {
                throw new InterruptedIOException("timeout");
            }
            Call call = client.newCall(request);
            call.timeout().timeout(left, TimeUnit.NANOSECONDS);
            try (InterruptibleCalls.Registration watched = InterruptibleCalls.register(call);
                    Response response = countedExecute(call)) {
                HttpUrl next = redirectTarget(request, response);
                if (next != null) {
                    if (redirects >= MAX_REDIRECTS) {
                        throw new CkanRemoteException("Request error: more than " + MAX_REDIRECTS + " redirects ("
                                + first.method() + " " + first.url() + ")", first.url().toString(),
                                response.code(), null, null);
                    }
                    Optional<String> refusal = policy.redirectRefusal(request.url().uri(), next.uri());
                    if (refusal.isPresent()) {
                        throw new OutboundRefusedException(refusal.get());
                    }
                    Request.Builder followUp = request.newBuilder().url(next);
                    if (!next.host().equalsIgnoreCase(request.url().host())) {
                        followUp.removeHeader("Authorization");
                    }
                    request = followUp.build();
                    continue;
                }
                return read(request.url().toString(), response);
            }
        }
    }

    /**
     * Executes a call, counting it on Micrometer's global registry as {@code harvest.remote.requests} by status
     * ({@code error} when no response came): {@code harvester serve} publishes it at {@code /metrics}; elsewhere the
     * global registry holds no registry and the count costs nothing.
     */
    private static Response countedExecute(Call call) throws IOException {
        try {
            Response response = call.execute();
            Metrics.counter(REMOTE_REQUESTS, "status", Integer.toString(response.code())).increment();
            return response;
        } catch (IOException | RuntimeException e) {
            Metrics.counter(REMOTE_REQUESTS, "status", "error").increment();
            throw e;
        }
    }

    /** The URL a GET is redirected to, or null when the response is not a redirect to follow. */
    private static HttpUrl redirectTarget(Request request, Response response) {
        int code = response.code();
        boolean redirect = code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
        if (!redirect || !(request.method().equals("GET") || request.method().equals("HEAD"))) {
            return null;
        }
        String location = response.header("Location");
        return location == null ? null : request.url().resolve(location);
    }

    private Received read(String url, Response response) throws IOException, CkanRemoteException {
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
        long length = source.getBuffer().size();
        String text = source.getBuffer().readString(charset);
        return new Received(new HttpResponse(url, response.code(), response.header("Content-Type"), text, length),
                response.header("Retry-After"));
    }

    /** The policy refusal behind a network failure, wherever OkHttp wrapped it. */
    private static Optional<OutboundRefusedException> refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutboundRefusedException refused) {
                return Optional.of(refused);
            }
            if (t instanceof RefusedHost host) {
                return Optional.of(host.refusal);
            }
            for (Throwable suppressed : t.getSuppressed()) {
                Optional<OutboundRefusedException> found = refusal(suppressed);
                if (found.isPresent()) {
                    return found;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }

    /** OkHttp's whole-call timeout: a plain {@link InterruptedIOException}, unlike a read or connect timeout. */
    private static boolean isDeadline(IOException e) {
        return e.getClass() == InterruptedIOException.class;
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

    /** Resolves with the system resolver, then refuses the host if any of its addresses is refused by the policy. */
    private record PolicyDns(OutboundPolicy policy) implements Dns {
        @Override
        public List<InetAddress> lookup(String hostname) throws UnknownHostException {
            List<InetAddress> addresses = Dns.SYSTEM.lookup(hostname);
            for (InetAddress address : addresses) {
                try {
                    policy.check(hostname, address);
                } catch (OutboundRefusedException e) {
                    // One refused address refuses the host: a name that resolves both ways is a rebinding attempt.
                    throw new RefusedHost(e);
                }
            }
            return addresses;
        }
    }

    /** What {@link PolicyDns} throws: OkHttp's DNS hook may only throw {@link UnknownHostException}. */
    private static final class RefusedHost extends UnknownHostException {
        private static final long serialVersionUID = 1L;
        private final transient OutboundRefusedException refusal;

        RefusedHost(OutboundRefusedException refusal) {
            super(refusal.getMessage());
            this.refusal = refusal;
        }
    }

    /**
     * Checks the address a connection actually reached before a request is written to it: the last line of defence,
     * for a host OkHttp did not resolve through {@link PolicyDns} (an IP literal). Through a proxy, the proxy's
     * address is not the target's and the DNS hook has done the check.
     */
    private record ConnectedAddressCheck(OutboundPolicy policy) implements Interceptor {
        @Override
        public Response intercept(Chain chain) throws IOException {
            Connection connection = chain.connection();
            if (connection != null && connection.route().proxy().type() == Proxy.Type.DIRECT) {
                policy.check(chain.request().url().host(), connection.route().socketAddress().getAddress());
            }
            return chain.proceed(chain.request());
        }
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
        private Duration callTimeout = Duration.ofSeconds(120);
        private int maxAttempts = 4;
        private Duration initialBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration maxRetryAfter = Duration.ofSeconds(120);
        private long maxResponseBytes = 50L * 1024 * 1024;
        private Sleeper sleeper = delay -> Thread.sleep(delay.toMillis());
        private OutboundPolicy policy = OutboundPolicy.defaults();
        private LongSupplier nanoTime = System::nanoTime;

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
         * @param timeout the deadline of one request: the longest time {@link HttpTransport#send} may take in all,
         *     attempts, redirects, waits between attempts and the reading of bodies included
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

        /** @param policy which addresses may be contacted and which redirects followed @return this */
        public Builder policy(OutboundPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** @param nanoTime the clock of request deadlines ({@link System#nanoTime()}; tests move it) @return this */
        Builder nanoTime(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
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
