package io.iacrunner.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of the server, for tests (and the soak bench) of the network failing under the
 * agent: {@link #cutAll()}
 * drops every open connection mid-stream (HTTP requests, long polls, WebSockets alike), and while {@link #refuse}
 * is on, new connections are closed as soon as they are accepted, as if the server were unreachable. While
 * {@link #blackhole} is on, nothing gets through and nothing is refused either, as when a link silently drops every
 * packet: open connections stall (their bytes wait), new ones are accepted and never answered, so every request
 * waits out its own timeout. When it ends, stalled connections flow again and the unanswered ones are closed.
 *
 * <p>Given several servers, it is a round-robin load balancer: each new connection goes to the next one.
 */
public final class CuttingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int[] targetPorts;
    private final AtomicInteger next = new AtomicInteger();
    private final Map<Integer, AtomicInteger> connectionsByTarget = new ConcurrentHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger cuts = new AtomicInteger();
    private volatile boolean refusing;
    private volatile boolean blackholed;
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();

    public CuttingProxy(int... targetPorts) throws IOException {
        this.targetPorts = targetPorts.clone();
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("cutting-proxy").start(this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    public java.net.URI url() {
        return java.net.URI.create("http://127.0.0.1:" + port());
    }

    /** Closes every connection now open, both sides. Returns how many sockets were closed. */
    public int cutAll() {
        int n = 0;
        for (Socket s : open) {
            closeQuietly(s);
            n++;
        }
        cuts.addAndGet(n);
        return n;
    }

    /** Connections passed to the server on {@code port} so far. */
    public int connectionsTo(int port) {
        AtomicInteger count = connectionsByTarget.get(port);
        return count == null ? 0 : count.get();
    }

    /** Connections cut so far, counted per socket. */
    public int cuts() {
        return cuts.get();
    }

    public void refuse(boolean on) {
        refusing = on;
        if (on) cutAll();
    }

    public void blackhole(boolean on) {
        blackholed = on;
        if (!on) {
            held.forEach(CuttingProxy::closeQuietly);
            held.clear();
        }
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (refusing) {
                closeQuietly(client);
                continue;
            }
            if (blackholed) {
                held.add(client); // accepted, never answered: the client waits out its timeout
                continue;
            }
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket server = new Socket();
        int targetPort = targetPorts[Math.floorMod(next.getAndIncrement(), targetPorts.length)];
        try {
            server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
            connectionsByTarget
                    .computeIfAbsent(targetPort, p -> new AtomicInteger())
                    .incrementAndGet();
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(server);
            return;
        }
        open.add(client);
        open.add(server);
        Thread.ofVirtual().start(() -> pump(client, server));
        Thread.ofVirtual().start(() -> pump(server, client));
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) != -1) {
                // Real time is the point: the bytes wait, as on a link that drops them (TCP resends later).
                while (blackholed) Thread.sleep(20);
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // cut, or the other side went away: close both below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        blackhole(false);
        cutAll();
    }
}
