package io.iacrunner.server.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Address blocks as {@code --notify-allow} reads them: parsed without DNS, matched bit by bit. */
class CidrTest {
    static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void aBlockHoldsExactlyTheAddressesItsPrefixCovers() throws Exception {
        Cidr block = Cidr.parse("10.20.0.0/14");
        assertThat(block.contains(ip("10.20.0.1"))).isTrue();
        assertThat(block.contains(ip("10.23.255.255"))).isTrue();
        assertThat(block.contains(ip("10.24.0.0"))).isFalse();
        assertThat(block.contains(ip("::ffff:10.20.0.1")))
                .as("an IPv4-mapped address is its IPv4 address")
                .isTrue();
        assertThat(block.contains(ip("fd00::1")))
                .as("another family is never held")
                .isFalse();
        assertThat(Cidr.parse("fc00::/7").contains(ip("fdab::1"))).isTrue();
        assertThat(Cidr.parse("fc00::/7").contains(ip("fe00::1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
        assertThat(Cidr.parse("127.0.0.1").contains(ip("127.0.0.1")))
                .as("a bare address is a block of one")
                .isTrue();
        assertThat(Cidr.parse("127.0.0.1").contains(ip("127.0.0.2"))).isFalse();
        assertThat(block.toString()).isEqualTo("10.20.0.0/14");
        assertThat(Cidr.parse(" 10.20.0.0/14 ")).isEqualTo(block).hasSameHashCodeAs(block);
    }

    @Test
    void aListIsCommaSeparatedAndBlankIsNone() {
        assertThat(Cidr.parseList("127.0.0.0/8, 10.0.0.0/8")).hasSize(2);
        assertThat(Cidr.parseList(" ")).isEmpty();
    }

    @Test
    void whatIsNotABlockIsRefusedSayingWhy() {
        assertThatThrownBy(() -> Cidr.parse("localhost")).hasMessageContaining("not an address block");
        assertThatThrownBy(() -> Cidr.parse("example.com/8")).hasMessageContaining("not an address block");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("must be 0..32");
        assertThatThrownBy(() -> Cidr.parse("fd00::/129")).hasMessageContaining("must be 0..128");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("not a prefix length");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/-1")).hasMessageContaining("must be 0..32");
        assertThatThrownBy(() -> Cidr.parse("1234")).hasMessageContaining("not an address block");
        assertThatThrownBy(() -> Cidr.parse("300.1.1.1/8")).hasMessageContaining("not an address block");
        assertThatThrownBy(() -> Cidr.parse("dead.beef"))
                .as("a name, never looked up")
                .hasMessageContaining("not an address block");
        assertThatThrownBy(() -> Cidr.parse("fd00:::zz/8")).hasMessageContaining("not an address block");
    }
}
