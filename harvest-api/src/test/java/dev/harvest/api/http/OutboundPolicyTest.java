package dev.harvest.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.Settings;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OutboundPolicyTest {

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static Settings settings(Map<String, String> values) {
        return key -> Optional.ofNullable(values.get(key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.5.6.7", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254", "224.0.0.1", "239.1.1.1",
        "255.255.255.255", "240.0.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
        "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::", "2002:c0a8:101::1", "::127.0.0.1", "2001:0:1::1",
        "2001:db8::1", "198.18.0.1", "192.0.2.1"})
    void nonPublicAddressesAreRefusedByDefault(String literal) throws Exception {
        Optional<String> refusal = OutboundPolicy.defaults().refusal("example.org", ip(literal));
        assertTrue(refusal.isPresent(), literal);
        assertTrue(refusal.get().contains(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES), refusal.get());
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.169.0.1",
        "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1", "11.0.0.1"})
    void publicAddressesAreAllowed(String literal) throws Exception {
        assertEquals(Optional.empty(), OutboundPolicy.defaults().refusal("example.org", ip(literal)));
    }

    @Test
    void anIpv4MappedIpv6AddressIsJudgedByItsIpv4Address() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        InetAddress loopback = Inet6Address.getByAddress(null, mapped, -1);
        assertTrue(loopback instanceof Inet6Address, "kept as an IPv6 address");
        assertEquals("an IPv4-mapped address of a loopback address",
                OutboundPolicy.nonPublicKind(loopback).orElseThrow());
        byte[] publicMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 8, 8, 8, 8};
        assertTrue(OutboundPolicy.nonPublicKind(Inet6Address.getByAddress(null, publicMapped, -1)).isEmpty());
    }

    @Test
    void theRefusalNamesTheHostItsAddressAndItsKind() throws Exception {
        String refusal = OutboundPolicy.defaults().refusal("internal.example", ip("10.0.0.7")).orElseThrow();
        assertTrue(refusal.startsWith("internal.example resolves to 10.0.0.7, which is a private address"), refusal);
        OutboundRefusedException thrown = assertThrows(OutboundRefusedException.class,
                () -> OutboundPolicy.defaults().check("127.0.0.1", ip("127.0.0.1")));
        assertTrue(thrown.getMessage().startsWith("Refused by the outbound HTTP policy: 127.0.0.1 is a loopback"),
                thrown.getMessage());
    }

    @Test
    void allowPrivateAddressesAllowsEverything() throws Exception {
        OutboundPolicy policy = OutboundPolicy.from(settings(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "true")));
        assertTrue(policy.allows("localhost", ip("127.0.0.1")));
        assertTrue(policy.allows("x", ip("169.254.169.254")));
        assertTrue(policy.allowsPrivateAddresses());
    }

    @Test
    void allowedHostsAcceptNamesAddressesAndRanges() throws Exception {
        OutboundPolicy policy = OutboundPolicy.from(settings(Map.of(OutboundPolicy.ALLOWED_HOSTS,
                "CKAN.Intranet, 10.1.0.0/16 ,192.168.5.5, fd00::/8")));
        assertTrue(policy.allows("ckan.intranet", ip("10.9.9.9")), "a named host, whatever it resolves to");
        assertTrue(policy.allows("ckan.intranet.", ip("127.0.0.1")), "a trailing dot is the same host");
        assertTrue(policy.allows("other", ip("10.1.200.3")), "inside the range");
        assertFalse(policy.allows("other", ip("10.2.0.1")), "outside the range");
        assertTrue(policy.allows("other", ip("192.168.5.5")));
        assertFalse(policy.allows("other", ip("192.168.5.6")));
        assertTrue(policy.allows("other", ip("fd12::1")));
        assertFalse(policy.allows("other", ip("fc00::1")));
        assertFalse(policy.allows("other", ip("127.0.0.1")));
    }

    @Test
    void badSettingsAreRejectedNamingTheKey() {
        IllegalArgumentException flag = assertThrows(IllegalArgumentException.class, () -> OutboundPolicy.from(
                settings(Map.of(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES, "yes please"))));
        assertTrue(flag.getMessage().startsWith(OutboundPolicy.ALLOW_PRIVATE_ADDRESSES), flag.getMessage());
        IllegalArgumentException host = assertThrows(IllegalArgumentException.class, () -> OutboundPolicy.from(
                settings(Map.of(OutboundPolicy.ALLOWED_HOSTS, "10.0.0.0/40"))));
        assertTrue(host.getMessage().startsWith(OutboundPolicy.ALLOWED_HOSTS), host.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OutboundPolicy.from(
                settings(Map.of(OutboundPolicy.ALLOWED_HOSTS, "http://x/"))));
    }

    @Test
    void urlsWithLiteralPrivateHostsAreRefusedWithoutAnyLookup() {
        OutboundPolicy policy = OutboundPolicy.defaults();
        for (String url : new String[] {"http://127.0.0.1:8080/", "http://[::1]/", "http://2130706433/",
            "http://127.1/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://[::ffff:10.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/"}) {
            assertTrue(policy.urlRefusal(URI.create(url)).isPresent(), url);
        }
        assertTrue(policy.urlRefusal(URI.create("ftp://example.org/")).isPresent());
        assertEquals(Optional.empty(), policy.urlRefusal(URI.create("https://demo.ckan.org/")));
        assertEquals(Optional.empty(), policy.urlRefusal(URI.create("http://8.8.8.8/")));
        assertEquals(Optional.empty(), policy.urlRefusal(URI.create("http://1.example/")), "names are not resolved");
    }

    @Test
    void aClientWithoutADnsHookHasItsUrlAndTheAddressesItsHostResolvesToChecked() throws Exception {
        OutboundPolicy policy = OutboundPolicy.defaults();
        OutboundRefusedException byName = assertThrows(OutboundRefusedException.class,
                () -> policy.checkBeforeConnecting(URI.create("http://localhost:8080/data.json")));
        assertTrue(byName.getMessage().contains("localhost resolves to"), byName.getMessage());
        OutboundRefusedException scheme = assertThrows(OutboundRefusedException.class,
                () -> policy.checkBeforeConnecting(URI.create("file:///etc/passwd")));
        assertTrue(scheme.getMessage().contains("Only http and https"), scheme.getMessage());

        policy.checkBeforeConnecting(URI.create("http://93.184.216.34/data.json")); // a public literal: no lookup
        OutboundPolicy.builder().allowPrivateAddresses(true).build()
                .checkBeforeConnecting(URI.create("http://localhost:8080/data.json"));
    }

    @Test
    void redirectsStayOnTheirOriginUnlessConfigured() {
        OutboundPolicy policy = OutboundPolicy.defaults();
        URI from = URI.create("http://portal.example/api/3/action/package_search");
        assertEquals(Optional.empty(), policy.redirectRefusal(from, URI.create("http://portal.example:80/other")));
        assertEquals(Optional.empty(), policy.redirectRefusal(from, URI.create("https://portal.example/api")),
                "an upgrade to https on the same host");
        String otherPort = policy.redirectRefusal(from, URI.create("http://portal.example:8081/")).orElseThrow();
        assertTrue(otherPort.contains("http://portal.example:8081")
                && otherPort.contains(OutboundPolicy.CROSS_ORIGIN_REDIRECTS), otherPort);
        assertTrue(policy.redirectRefusal(from, URI.create("http://evil.example/")).isPresent());
        assertTrue(policy.redirectRefusal(URI.create("https://portal.example/"), URI.create("http://portal.example/"))
                .isPresent(), "a downgrade is another origin");
        assertTrue(policy.redirectRefusal(from, URI.create("file:///etc/passwd")).isPresent());

        URI underscore = URI.create("http://my_portal:8080/api");
        assertEquals(Optional.empty(), policy.redirectRefusal(underscore, URI.create("http://my_portal:8080/x")),
                "a host name with _ is read from the authority");
        assertTrue(policy.redirectRefusal(underscore, URI.create("http://my_portal:8081/x")).isPresent());
        assertEquals(Optional.empty(), policy.urlRefusal(underscore));

        OutboundPolicy open = OutboundPolicy.builder().crossOriginRedirects(true).build();
        assertEquals(Optional.empty(), open.redirectRefusal(from, URI.create("http://evil.example/")));
        assertTrue(open.redirectRefusal(from, URI.create("gopher://evil.example/")).isPresent());
    }

    @Test
    void withAllowedHostKeepsTheRestOfThePolicy() throws Exception {
        OutboundPolicy base = OutboundPolicy.builder().crossOriginRedirects(true).allowHost("10.0.0.0/8").build();
        OutboundPolicy more = base.withAllowedHost("localhost");
        assertTrue(more.allowsCrossOriginRedirects());
        assertTrue(more.allows("x", ip("10.3.3.3")));
        assertTrue(more.allows("localhost", ip("127.0.0.1")));
        assertFalse(base.allows("localhost", ip("127.0.0.1")), "the original is unchanged");
    }
}
