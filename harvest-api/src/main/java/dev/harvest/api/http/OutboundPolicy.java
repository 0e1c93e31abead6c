package dev.harvest.api.http;

import dev.harvest.api.Settings;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses a harvester or catalog may send HTTP requests to, and which redirects it may follow: the defence of
 * the harvest server against server-side request forgery through source URLs and remote redirects.
 *
 * <p>By default ({@link #defaults()}):
 * <ul>
 *   <li>addresses that are not public unicast are refused: loopback ({@code 127.0.0.0/8}, {@code ::1}), unspecified
 *       ({@code 0.0.0.0/8}, {@code ::}), private ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}, IPv6 unique
 *       local {@code fc00::/7}), shared/CGNAT ({@code 100.64/10}), link-local ({@code 169.254/16}, which holds cloud
 *       metadata services, and {@code fe80::/10}), site-local {@code fec0::/10}, multicast, broadcast and other
 *       reserved ranges; an IPv6 address that embeds an IPv4 one (IPv4-mapped {@code ::ffff:a.b.c.d}, IPv4-compatible,
 *       NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}) is judged by the IPv4 address it embeds;
 *   <li>a redirect is followed only to the same origin (scheme, host and port), or from {@code http} to
 *       {@code https} on the same host and default ports (an upgrade, which many portals do for every request), and
 *       only to {@code http} or {@code https}.
 * </ul>
 *
 * <p>The checks apply to the addresses a host name <em>resolves to</em>, at the moment the client connects, so that a
 * public host name that resolves to a private address (or a DNS answer that changes between a check and the
 * connection, "DNS rebinding") is refused as well: a client must check the very addresses it connects to, for
 * instance in its DNS resolver hook, and check every redirect target again.
 *
 * <p>Site settings, declared by the engine (a plugin does not declare them):
 * <ul>
 *   <li>{@value #ALLOW_PRIVATE_ADDRESSES} ({@code false}): {@code true} allows every address; for tests, demos and
 *       sites that harvest only inside a trusted network;
 *   <li>{@value #ALLOWED_HOSTS} (empty): comma-separated host names, IP addresses and CIDR ranges
 *       ({@code 10.1.0.0/16}, {@code fd00::/8}) that may be contacted although they are not public; a host name is
 *       matched exactly (case-insensitive) and then allows whatever it resolves to;
 *   <li>{@value #CROSS_ORIGIN_REDIRECTS} ({@code false}): {@code true} follows redirects to any http(s) origin,
 *       whose addresses are still checked.
 * </ul>
 *
 * <p>How a plugin uses it: {@link #from(Settings)} in {@code Harvester.start} (or {@code CatalogProvider.open}), then
 * {@link #check(String, InetAddress)} on every address its HTTP client resolves, {@link #urlRefusal(URI)} on every URL
 * before the request (an IP-literal host is not resolved, so some clients skip their resolver hook for it), and
 * {@link #redirectRefusal(URI, URI)} on every redirect, which the client must then follow itself.
 *
 * <p>Immutable and thread-safe.
 */
public final class OutboundPolicy {

    /** Site key: {@code true} lets requests reach loopback, private and other non-public addresses. */
    public static final String ALLOW_PRIVATE_ADDRESSES = "harvest.http.allow_private_addresses";

    /** Site key: comma-separated host names, IP addresses and CIDR ranges allowed although not public. */
    public static final String ALLOWED_HOSTS = "harvest.http.allowed_hosts";

    /** Site key: {@code true} follows redirects to another origin (scheme, host or port). */
    public static final String CROSS_ORIGIN_REDIRECTS = "harvest.http.cross_origin_redirects";

    private static final String HINT = " (allowed only with " + ALLOW_PRIVATE_ADDRESSES + " = true or an entry in "
            + ALLOWED_HOSTS + ")";

    private static final OutboundPolicy DEFAULTS = new OutboundPolicy(false, false, Set.of(), List.of());

    private final boolean allowPrivateAddresses;
    private final boolean crossOriginRedirects;
    private final Set<String> allowedHostNames;
    private final List<Range> allowedRanges;

    private OutboundPolicy(boolean allowPrivateAddresses, boolean crossOriginRedirects, Set<String> allowedHostNames,
            List<Range> allowedRanges) {
        this.allowPrivateAddresses = allowPrivateAddresses;
        this.crossOriginRedirects = crossOriginRedirects;
        this.allowedHostNames = Set.copyOf(allowedHostNames);
        this.allowedRanges = List.copyOf(allowedRanges);
    }

    /**
     * The policy of a site that sets none of the keys: public addresses only, same-origin redirects only.
     *
     * @return the default policy
     */
    public static OutboundPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * The policy a site's settings describe.
     *
     * @param settings the site settings; unset keys take their defaults
     * @return the policy
     * @throws IllegalArgumentException naming the key whose value is not valid (a flag that is not {@code true} or
     *     {@code false}, an allowed host that is neither a host name, an IP address nor a CIDR range)
     */
    public static OutboundPolicy from(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        Builder builder = builder()
                .allowPrivateAddresses(flag(settings, ALLOW_PRIVATE_ADDRESSES))
                .crossOriginRedirects(flag(settings, CROSS_ORIGIN_REDIRECTS));
        for (String entry : settings.get(ALLOWED_HOSTS, "").split(",")) {
            if (!entry.isBlank()) {
                try {
                    builder.allowHost(entry);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(ALLOWED_HOSTS + ": " + e.getMessage());
                }
            }
        }
        return builder.build();
    }

    /**
     * A builder starting from {@link #defaults()}, for code that does not read site settings (tests, embedding).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * This policy with one more allowed host, e.g. the configured catalog a site writes to, which an operator chose
     * and which often runs on the same machine or network.
     *
     * @param hostOrRange a host name, an IP address or a CIDR range
     * @return a policy that allows that host as well
     * @throws IllegalArgumentException if the entry is neither a host name, an IP address nor a CIDR range
     */
    public OutboundPolicy withAllowedHost(String hostOrRange) {
        Builder builder = new Builder();
        builder.allowPrivateAddresses = allowPrivateAddresses;
        builder.crossOriginRedirects = crossOriginRedirects;
        builder.hostNames.addAll(allowedHostNames);
        builder.ranges.addAll(allowedRanges);
        return builder.allowHost(hostOrRange).build();
    }

    /** @return whether every address is allowed ({@value #ALLOW_PRIVATE_ADDRESSES}) */
    public boolean allowsPrivateAddresses() {
        return allowPrivateAddresses;
    }

    /** @return whether redirects to another origin are followed ({@value #CROSS_ORIGIN_REDIRECTS}) */
    public boolean allowsCrossOriginRedirects() {
        return crossOriginRedirects;
    }

    /**
     * Whether a request may be sent to an address that a host name resolved to.
     *
     * @param host the host name of the URL (or the IP literal itself)
     * @param address one address it resolved to
     * @return why not, naming the address, its kind and the settings that would allow it; empty if allowed
     */
    public Optional<String> refusal(String host, InetAddress address) {
        Objects.requireNonNull(address, "address");
        if (allowPrivateAddresses) {
            return Optional.empty();
        }
        Optional<String> kind = nonPublicKind(address);
        if (kind.isEmpty() || allowedHostNames.contains(normaliseHost(host))
                || allowedRanges.stream().anyMatch(range -> range.contains(address))) {
            return Optional.empty();
        }
        String literal = address.getHostAddress();
        String normalised = host == null ? "" : normaliseHost(host);
        String subject = normalised.isEmpty() || normalised.equalsIgnoreCase(literal) ? literal
                : normalised + " resolves to " + literal + ", which";
        return Optional.of(subject + " is " + kind.get() + HINT);
    }

    /**
     * Whether a request may be sent to an address that a host name resolved to.
     *
     * @param host the host name of the URL
     * @param address one address it resolved to
     * @return true if allowed
     */
    public boolean allows(String host, InetAddress address) {
        return refusal(host, address).isEmpty();
    }

    /**
     * Checks one resolved address, for use in an HTTP client's DNS hook: a client that checks each address it is
     * about to connect to cannot be turned to a private address by a DNS answer that changed after an earlier check.
     *
     * @param host the host name being resolved
     * @param address one address it resolved to
     * @throws OutboundRefusedException if the policy refuses the address
     */
    public void check(String host, InetAddress address) throws OutboundRefusedException {
        Optional<String> refusal = refusal(host, address);
        if (refusal.isPresent()) {
            throw new OutboundRefusedException("Refused by the outbound HTTP policy: " + refusal.get());
        }
    }

    /**
     * Checks a URL ({@link #urlRefusal}), then every address its host resolves to now ({@link #check(String,
     * InetAddress)}), for an HTTP client that has no DNS hook, such as {@code java.net.http.HttpClient}. Such a client
     * resolves the host again when it connects, so a DNS answer that changes in between (DNS rebinding) is not
     * caught; a client with a DNS hook should check there instead.
     *
     * @param url an absolute URL about to be requested
     * @throws OutboundRefusedException if the policy refuses the URL or an address of its host
     * @throws java.net.UnknownHostException if its host does not resolve
     */
    public void checkBeforeConnecting(URI url) throws java.io.IOException {
        Optional<String> refused = urlRefusal(url);
        if (refused.isPresent()) {
            throw new OutboundRefusedException("Refused by the outbound HTTP policy: " + refused.get());
        }
        String host = host(url);
        for (InetAddress address : InetAddress.getAllByName(host)) {
            check(host, address);
        }
    }

    /**
     * Checks a URL without any DNS lookup: its scheme must be {@code http} or {@code https}, it must have a host, and
     * a host that is an IP address (including forms such as {@code 2130706433} or {@code 127.1}, which some resolvers
     * read as {@code 127.0.0.1}) must be allowed. A host name is not resolved here: its addresses are checked when
     * the client connects.
     *
     * @param url an absolute URL
     * @return why it is refused; empty if it may be requested as far as can be told without resolving its host
     */
    public Optional<String> urlRefusal(URI url) {
        Objects.requireNonNull(url, "url");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("Only http and https URLs may be requested, not '" + url.getScheme() + "'");
        }
        String host = host(url);
        if (host.isBlank()) {
            return Optional.of("The URL has no host");
        }
        return literalAddress(host).flatMap(address -> refusal(host, address));
    }

    /** The host, also of a URL that {@link URI} reads as registry-based (a host name with {@code _}). */
    private static String host(URI url) {
        if (url.getHost() != null) {
            return url.getHost();
        }
        String authority = url.getRawAuthority();
        if (authority == null) {
            return "";
        }
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end < 0 ? hostPort : hostPort.substring(0, end + 1);
        }
        int colon = hostPort.indexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    /**
     * Whether a redirect may be followed: the target must be an {@code http} or {@code https} URL, and of the same
     * origin as the request that was redirected (or an upgrade from {@code http} to {@code https} on the same host
     * and default ports), unless {@value #CROSS_ORIGIN_REDIRECTS} is set. The target's addresses must then be checked
     * like any request's.
     *
     * @param from the URL that answered with a redirect
     * @param to the absolute URL of its {@code Location}
     * @return why it is not followed, naming both origins and the setting that would allow it; empty if allowed
     */
    public Optional<String> redirectRefusal(URI from, URI to) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        String toScheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
        if (!toScheme.equals("http") && !toScheme.equals("https") || host(to).isBlank()) {
            return Optional.of("Refused to follow a redirect from " + origin(from) + " to a URL that is not http(s)");
        }
        if (crossOriginRedirects || sameOrigin(from, to) || isUpgrade(from, to)) {
            return Optional.empty();
        }
        return Optional.of("Refused to follow a redirect from " + origin(from) + " to another origin, " + origin(to)
                + " (followed only with " + CROSS_ORIGIN_REDIRECTS + " = true)");
    }

    /**
     * The kind of a non-public address, in words, for messages: {@code a loopback address},
     * {@code a private address}, ...
     *
     * @param address an IPv4 or IPv6 address
     * @return its kind; empty for a public unicast address
     */
    public static Optional<String> nonPublicKind(InetAddress address) {
        byte[] bytes = address.getAddress();
        return Optional.ofNullable(bytes.length == 4 ? ipv4Kind(bytes) : ipv6Kind(bytes));
    }

    /**
     * The address a URL host denotes without DNS: an IPv6 literal (with or without brackets), a dotted IPv4 address,
     * or an IPv4 address in one of the shorter or numeric forms that C resolvers accept ({@code 127.1},
     * {@code 2130706433}, {@code 0x7f.0.0.1}, {@code 0177.0.0.1}).
     *
     * @param host a URL host
     * @return the address, or empty if the host is a name
     */
    public static Optional<InetAddress> literalAddress(String host) {
        if (host == null || host.isBlank()) {
            return Optional.empty();
        }
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        try {
            if (h.indexOf(':') >= 0) {
                // in brackets, an IPv6 literal is parsed and never looked up: a bad one throws
                return Optional.of(InetAddress.getByName("[" + h + "]"));
            }
            byte[] ipv4 = parseIpv4(h);
            return ipv4 == null ? Optional.empty() : Optional.of(InetAddress.getByAddress(ipv4));
        } catch (UnknownHostException notAnAddress) {
            return Optional.empty();
        }
    }

    private static boolean flag(Settings settings, String key) {
        String value = settings.get(key, "false").strip().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "true" -> true;
            case "false", "" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, not '" + value + "'");
        };
    }

    private static String normaliseHost(String host) {
        if (host == null) {
            return "";
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean sameOrigin(URI from, URI to) {
        return scheme(from).equals(scheme(to)) && normaliseHost(host(from)).equals(normaliseHost(host(to)))
                && port(from) == port(to);
    }

    private static boolean isUpgrade(URI from, URI to) {
        return scheme(from).equals("http") && scheme(to).equals("https")
                && normaliseHost(host(from)).equals(normaliseHost(host(to)))
                && port(from) == 80 && port(to) == 443;
    }

    private static String scheme(URI uri) {
        return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        if (uri.getHost() == null && uri.getRawAuthority() != null) {
            String authority = uri.getRawAuthority();
            String afterHost = authority.substring(authority.lastIndexOf('@') + 1);
            afterHost = afterHost.substring(afterHost.lastIndexOf(']') + 1);
            int colon = afterHost.lastIndexOf(':');
            if (colon >= 0 && afterHost.substring(colon + 1).matches("\\d{1,5}")) {
                return Integer.parseInt(afterHost.substring(colon + 1));
            }
        }
        return scheme(uri).equals("https") ? 443 : 80;
    }

    private static String origin(URI uri) {
        return scheme(uri) + "://" + normaliseHost(host(uri)) + ":" + port(uri);
    }

    private static String ipv4Kind(byte[] b) {
        int a = b[0] & 0xff;
        int second = b[1] & 0xff;
        if (a == 0) {
            return "an unspecified address";
        }
        if (a == 127) {
            return "a loopback address";
        }
        if (a == 10 || (a == 172 && second >= 16 && second <= 31) || (a == 192 && second == 168)) {
            return "a private address";
        }
        if (a == 100 && second >= 64 && second <= 127) {
            return "a shared (carrier-grade NAT) address";
        }
        if (a == 169 && second == 254) {
            return "a link-local address";
        }
        if (a >= 224 && a <= 239) {
            return "a multicast address";
        }
        if (a >= 240) {
            return "a reserved or broadcast address";
        }
        int third = b[2] & 0xff;
        if ((a == 192 && second == 0 && (third == 0 || third == 2)) || (a == 198 && (second == 18 || second == 19))
                || (a == 198 && second == 51 && third == 100) || (a == 203 && second == 0 && third == 113)) {
            return "a reserved address";
        }
        return null;
    }

    private static String ipv6Kind(byte[] b) {
        if (allZero(b, 0, 10)) {
            boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
            if (mapped) {
                return embedded(b, 12, "an IPv4-mapped address");
            }
            if (allZero(b, 10, 12)) {
                if (allZero(b, 12, 15)) {
                    int last = b[15] & 0xff;
                    if (last == 0) {
                        return "an unspecified address";
                    }
                    if (last == 1) {
                        return "a loopback address";
                    }
                }
                return "an IPv4-compatible (deprecated) address";
            }
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if (first == 0x00 && second == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
            if (allZero(b, 4, 12)) {
                return embedded(b, 12, "a NAT64 address");
            }
            return "a private (local-use NAT64) address";
        }
        if (first == 0x20 && second == 0x02) {
            return embedded(b, 2, "a 6to4 address");
        }
        if (first == 0x20 && second == 0x01 && b[2] == 0 && b[3] == 0) {
            return "a Teredo tunnel address";
        }
        if (first == 0x20 && second == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) {
            return "a reserved (documentation) address";
        }
        if (first == 0x01 && second == 0x00 && allZero(b, 2, 8)) {
            return "a reserved (discard) address";
        }
        if ((first & 0xfe) == 0xfc) {
            return "a private (unique local) address";
        }
        if (first == 0xfe && (second & 0xc0) == 0x80) {
            return "a link-local address";
        }
        if (first == 0xfe && (second & 0xc0) == 0xc0) {
            return "a site-local address";
        }
        if (first == 0xff) {
            return "a multicast address";
        }
        return null;
    }

    /** The kind of the IPv4 address embedded at {@code offset}, or null when it is public. */
    private static String embedded(byte[] b, int offset, String what) {
        byte[] ipv4 = {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]};
        String kind = ipv4Kind(ipv4);
        return kind == null ? null : what + " of " + kind;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** inet_aton: one to four parts, each decimal, octal (leading 0) or hex (0x); the last part fills the rest. */
    private static byte[] parseIpv4(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || !h.matches("[0-9a-fA-FxX.]+") || !Character.isDigit(h.charAt(0))) {
            return null;
        }
        String[] parts = h.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Long value = parsePart(parts[i]);
            if (value == null) {
                return null;
            }
            values[i] = value;
        }
        long result = 0;
        for (int i = 0; i < values.length - 1; i++) {
            if (values[i] > 0xff) {
                return null;
            }
            result |= values[i] << (24 - 8 * i);
        }
        long last = values[values.length - 1];
        int lastBits = 8 * (4 - (values.length - 1));
        if (last >= (1L << lastBits)) {
            return null;
        }
        result |= last;
        return new byte[] {(byte) (result >>> 24), (byte) (result >>> 16), (byte) (result >>> 8), (byte) result};
    }

    private static Long parsePart(String part) {
        try {
            if (part.isEmpty() || part.length() > 12) {
                return null;
            }
            if (part.startsWith("0x") || part.startsWith("0X")) {
                return part.length() == 2 ? 0L : Long.parseLong(part.substring(2), 16);
            }
            if (part.length() > 1 && part.startsWith("0")) {
                return Long.parseLong(part.substring(1), 8);
            }
            return Long.parseLong(part);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** An allowed IP range: an address and a prefix length, both of the same family. */
    private record Range(byte[] network, int prefix) {
        static Range parse(String text) {
            String[] parts = text.split("/", -1);
            if (parts.length > 2) {
                throw new IllegalArgumentException("'" + text + "' is not a CIDR range");
            }
            String addressText = parts[0];
            if (!addressText.contains(":") && !addressText.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR range");
            }
            InetAddress address = literalAddress(addressText).orElseThrow(() ->
                    new IllegalArgumentException("'" + text + "' is not an IP address or CIDR range"));
            byte[] network = address.getAddress();
            int prefix = network.length * 8;
            if (parts.length == 2) {
                try {
                    prefix = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException("'" + text + "' has a bad prefix length");
                }
            }
            return new Range(network, prefix);
        }

        boolean contains(InetAddress address) {
            byte[] bytes = address.getAddress();
            if (bytes.length == 16 && network.length == 4 && isMapped(bytes)) {
                bytes = new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
            }
            if (bytes.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (bytes[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (bytes[full] & mask) == (network[full] & mask);
        }

        private static boolean isMapped(byte[] b) {
            return allZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        }
    }

    /** Builds an {@link OutboundPolicy}; starts from {@link #defaults()}. */
    public static final class Builder {
        private boolean allowPrivateAddresses;
        private boolean crossOriginRedirects;
        private final Set<String> hostNames = new LinkedHashSet<>();
        private final List<Range> ranges = new ArrayList<>();

        private Builder() {}

        /**
         * @param allow whether every address may be contacted (tests, demos, trusted networks)
         * @return this builder
         */
        public Builder allowPrivateAddresses(boolean allow) {
            this.allowPrivateAddresses = allow;
            return this;
        }

        /**
         * @param allow whether redirects to another origin are followed (their addresses are still checked)
         * @return this builder
         */
        public Builder crossOriginRedirects(boolean allow) {
            this.crossOriginRedirects = allow;
            return this;
        }

        /**
         * Allows one host name (matched exactly, case-insensitive, whatever it resolves to), IP address or CIDR range
         * although it is not public.
         *
         * @param hostOrRange e.g. {@code ckan.intranet}, {@code 10.0.0.5}, {@code 10.1.0.0/16}, {@code fd00::/8}
         * @return this builder
         * @throws IllegalArgumentException if the entry is neither a host name, an IP address nor a CIDR range
         */
        public Builder allowHost(String hostOrRange) {
            String entry = Objects.requireNonNull(hostOrRange, "hostOrRange").strip();
            if (entry.contains(":")) {
                entry = entry.replace("[", "").replace("]", "");
            }
            if (entry.contains("/") || entry.contains(":") || entry.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                ranges.add(Range.parse(entry));
            } else if (entry.matches("[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})\\.?")) {
                hostNames.add(normaliseHost(entry));
            } else {
                throw new IllegalArgumentException("'" + hostOrRange
                        + "' is neither a host name, an IP address nor a CIDR range");
            }
            return this;
        }

        /** @return the policy */
        public OutboundPolicy build() {
            return new OutboundPolicy(allowPrivateAddresses, crossOriginRedirects, hostNames, ranges);
        }
    }
}
