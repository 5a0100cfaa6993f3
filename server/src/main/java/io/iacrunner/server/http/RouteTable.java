package io.iacrunner.server.http;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.router.JavalinDefaultRoutingApi;
import io.javalin.websocket.WsConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The only way an endpoint is added to the server. It also keeps the list of what was added, so that tests can walk
 * the API as served (the permission matrix has a row for every route) rather than a list kept by hand beside it.
 */
public final class RouteTable {
    /**
     * One endpoint: {@code GET}, {@code POST}, {@code PUT}, {@code DELETE}, {@code WS} or a method of its own (Terraform's
     * {@code LOCK} and {@code UNLOCK}), and its path template.
     */
    public record Route(String method, String path) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private final JavalinDefaultRoutingApi routes;
    private final List<Route> added = new ArrayList<>();

    public RouteTable(JavalinDefaultRoutingApi routes) {
        this.routes = routes;
    }

    public RouteTable get(String path, Handler handler) {
        routes.get(path, handler);
        return added("GET", path);
    }

    public RouteTable post(String path, Handler handler) {
        routes.post(path, handler);
        return added("POST", path);
    }

    public RouteTable put(String path, Handler handler) {
        routes.put(path, handler);
        return added("PUT", path);
    }

    public RouteTable delete(String path, Handler handler) {
        routes.delete(path, handler);
        return added("DELETE", path);
    }

    /**
     * An endpoint for a method outside HTTP's usual ones, such as the {@code LOCK} and {@code UNLOCK} of Terraform's
     * {@code http} backend: Jetty takes any token as a method, and Javalin routes it like any other.
     */
    public RouteTable method(String method, String path, Handler handler) {
        routes.addHttpHandler(HandlerType.findOrCreate(method), path, handler);
        return added(method, path);
    }

    public RouteTable ws(String path, Consumer<WsConfig> ws) {
        routes.ws(path, ws);
        return added("WS", path);
    }

    /** Every endpoint added so far, in the order added. */
    public List<Route> routes() {
        return List.copyOf(added);
    }

    private RouteTable added(String method, String path) {
        added.add(new Route(method, path));
        return this;
    }
}
