package io.iacrunner.server.notifications;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.util.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which hosts a webhook may call, with names resolved by a table the test gives (no DNS). */
class AddressPolicyTest {
    static final Map<String, List<String>> NAMES = Map.of(
            "public.example", List.of("203.0.113.7", "2001:db8::7"),
            "sneaky.example", List.of("203.0.113.8", "10.0.0.8"),
            "metadata.example", List.of("169.254.169.254"),
            "v6-internal.example", List.of("fd12::1"),
            "cgnat.example", List.of("100.64.1.1"));

    static AddressPolicy policy(String allowed) {
        return new AddressPolicy(Cidr.parseList(allowed), host -> {
            List<String> addresses = NAMES.get(host);
            if (addresses == null) throw new UnknownHostException(host);
            InetAddress[] out = new InetAddress[addresses.size()];
            for (int i = 0; i < out.length; i++) out[i] = InetAddress.getByName(addresses.get(i));
            return out;
        });
    }

    @Test
    void publicHostsPassAndEveryInternalAddressIsRefusedNamingIt() {
        AddressPolicy p = policy("");
        assertThat(p.refusal("public.example")).isEmpty();
        assertThat(p.refusal("sneaky.example"))
                .as("one internal address among public ones is enough to refuse")
                .hasValueSatisfying(why -> assertThat(why).contains("10.0.0.8").contains("--notify-allow"));
        assertThat(p.refusal("metadata.example")).isPresent();
        assertThat(p.refusal("v6-internal.example")).isPresent();
        assertThat(p.refusal("cgnat.example")).isPresent();
        assertThat(p.refusal("nowhere.example"))
                .hasValueSatisfying(why -> assertThat(why).contains("does not resolve"));
    }

    @Test
    void theAllowListOpensOnlyTheBlocksItNames() {
        AddressPolicy p = policy("10.0.0.0/8,fd00::/8");
        assertThat(p.refusal("sneaky.example")).isEmpty();
        assertThat(p.refusal("v6-internal.example")).isEmpty();
        assertThat(p.refusal("metadata.example")).isPresent();
    }

    @Test
    void theInternalBlocksCoverLoopbackPrivateLinkLocalAndReservedButNotPublicAddresses() throws Exception {
        for (String internal : List.of(
                "127.0.0.1",
                "10.1.1.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.0.1",
                "169.254.1.1",
                "0.0.0.0",
                "224.0.0.1",
                "255.255.255.255",
                "::1",
                "::",
                "fe80::1",
                "fc00::1",
                "ff02::1")) {
            assertThat(AddressPolicy.internal(InetAddress.getByName(internal)))
                    .as(internal)
                    .isTrue();
        }
        for (String external : List.of("8.8.8.8", "172.32.0.1", "203.0.113.5", "2001:4860::8888")) {
            assertThat(AddressPolicy.internal(InetAddress.getByName(external)))
                    .as(external)
                    .isFalse();
        }
    }
}
