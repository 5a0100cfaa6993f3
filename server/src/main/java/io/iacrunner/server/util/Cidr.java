package io.iacrunner.server.util;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** An address block like {@code 127.0.0.0/8} or {@code fd00::/8}: which addresses it holds. */
public record Cidr(byte[] network, int prefix) {
    /**
     * Only literal addresses, so parsing a block never asks DNS: four decimal parts, or IPv6 (with a colon, which
     * {@link InetAddress#getByName} reads as a literal and never looks up).
     */
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    /** {@code text} as a block; a bare address is a block of one. Throws IllegalArgumentException, saying why. */
    public static Cidr parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String address = slash < 0 ? t : t.substring(0, slash);
        if (!isLiteral(address)) {
            throw new IllegalArgumentException("not an address block: '" + text + "' (like 10.0.0.0/8 or fd00::/8)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address block: '" + text + "' (like 10.0.0.0/8 or fd00::/8)");
        }
        int bits = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? bits : Integer.parseInt(t.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a prefix length in '" + text + "'");
        }
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix length of '" + text + "' must be 0.." + bits);
        }
        return new Cidr(bytes, prefix);
    }

    private static boolean isLiteral(String address) {
        java.util.regex.Matcher v4 = IPV4.matcher(address);
        if (v4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(v4.group(i)) > 255) return false;
            }
            return true;
        }
        return IPV6.matcher(address).matches();
    }

    /** A comma-separated list of blocks; blank is none. */
    public static List<Cidr> parseList(String text) {
        List<Cidr> out = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) out.add(parse(part));
        }
        return List.copyOf(out);
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) return false;
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) return false;
        }
        int rest = prefix % 8;
        if (rest == 0) return true;
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (network[full] & mask);
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(network) + prefix;
    }
}
