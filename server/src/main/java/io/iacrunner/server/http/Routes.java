package io.iacrunner.server.http;

/**
 * A feature's part of the API. Each feature's {@code register} lists its endpoints, so it reads as that feature's
 * table of contents; {@code IacServer} hands every feature's routes to the one {@link RouteTable}.
 */
@FunctionalInterface
public interface Routes {
    void register(RouteTable table);
}
