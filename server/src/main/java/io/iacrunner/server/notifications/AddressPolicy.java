package io.iacrunner.server.notifications;

import io.iacrunner.server.util.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * Which addresses a webhook may reach. A workspace admin names the URL, and the server makes the request from inside
 * its own network: loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified,
 * multicast and reserved addresses are refused unless the server's {@code --notify-allow} blocks hold them. Every
 * address a name resolves to must pass, when the destination is added and again before each delivery.
 */
final class AddressPolicy {
    /** How a host name becomes addresses; tests may pass their own. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    static final List<Cidr> INTERNAL = Cidr.parseList("0.0.0.0/8,10.0.0.0/8,100.64.0.0/10,127.0.0.0/8,169.254.0.0/16,"
            + "172.16.0.0/12,192.0.0.0/24,192.168.0.0/16,198.18.0.0/15,224.0.0.0/4,240.0.0.0/4,"
            + "::/128,::1/128,fc00::/7,fe80::/10,ff00::/8,64:ff9b::/96,2002::/16");

    private final List<Cidr> allowed;
    private final Resolver resolver;

    AddressPolicy(List<Cidr> allowed, Resolver resolver) {
        this.allowed = List.copyOf(allowed);
        this.resolver = resolver;
    }

    AddressPolicy(List<Cidr> allowed) {
        this(allowed, InetAddress::getAllByName);
    }

    /** Why {@code host} may not be reached (empty: it may); an unresolvable host says so too. */
    Optional<String> refusal(String host) {
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            return Optional.of("host " + host + " does not resolve");
        }
        for (InetAddress a : addresses) {
            if (internal(a) && allowed.stream().noneMatch(c -> c.contains(a))) {
                return Optional.of("host " + host + " resolves to " + a.getHostAddress()
                        + ", a loopback, private, link-local or reserved address (the server's --notify-allow"
                        + " lists the blocks that may be reached nonetheless)");
            }
        }
        return Optional.empty();
    }

    static boolean internal(InetAddress a) {
        return INTERNAL.stream().anyMatch(c -> c.contains(a));
    }
}
