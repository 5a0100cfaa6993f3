package io.iacrunner.server.notifications;

import io.iacrunner.protocol.NotificationEvent;
import io.iacrunner.server.secrets.SecretBox;
import io.iacrunner.server.store.StoreAvailability;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what the outbox holds: every second (and at once when a status change queued something on this replica) it
 * claims the due deliveries, POSTs each with its signature, and records the answer. A failure is retried with backoff
 * (10 s doubling to 10 min) until an hour after the event, then given up. A replica that dies while sending leaves its
 * claim to run out and another round sends again: at least once, the delivery id the same every time.
 */
final class Deliverer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Deliverer.class);
    static final Duration GIVE_UP_AFTER = Duration.ofHours(1);
    static final Duration FIRST_RETRY = Duration.ofSeconds(10);
    static final Duration LONGEST_RETRY = Duration.ofMinutes(10);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Longer than a request may take: a claim outlives its send unless the replica died. */
    static final Duration CLAIM = Duration.ofSeconds(60);

    private static final int BATCH = 50;

    private final Jdbi jdbi;
    private final NotificationStore store;
    private final SecretBox box;
    private final AddressPolicy addresses;
    private final Clock clock;
    private final StoreAvailability availability;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER) // a redirect could lead past the address policy
            .build();
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
    private final LinkedBlockingQueue<Boolean> wakeups = new LinkedBlockingQueue<>(1);
    private final Counter delivered;
    private final Counter failed;
    private final Counter givenUp;
    private final AtomicLong pending = new AtomicLong();
    private volatile Thread loop;
    private volatile boolean closed;

    Deliverer(
            Jdbi jdbi,
            NotificationStore store,
            SecretBox box,
            AddressPolicy addresses,
            Clock clock,
            StoreAvailability availability,
            MeterRegistry registry) {
        this.jdbi = jdbi;
        this.store = store;
        this.box = box;
        this.addresses = addresses;
        this.clock = clock;
        this.availability = availability;
        this.delivered = Counter.builder("iac.notification.deliveries")
                .description("Webhook delivery attempts, by result (delivered: a 2xx answer)")
                .tag("result", "delivered")
                .register(registry);
        this.failed = Counter.builder("iac.notification.deliveries")
                .description("Webhook delivery attempts, by result (delivered: a 2xx answer)")
                .tag("result", "failed")
                .register(registry);
        this.givenUp = Counter.builder("iac.notification.given.up")
                .description("Webhook deliveries given up an hour after their event, never accepted")
                .register(registry);
        Gauge.builder("iac.notification.outbox.pending", pending, AtomicLong::get)
                .description("Webhook deliveries not yet accepted nor given up, as of this replica's last round")
                .register(registry);
    }

    Deliverer start(Duration every) {
        loop = Thread.ofPlatform().daemon().name("notification-deliverer").start(() -> {
            while (!closed) {
                try {
                    deliverDue();
                } catch (RuntimeException e) {
                    if (!availability.failed(e)) log.error("notification delivery failed; retrying", e);
                }
                try {
                    wakeups.poll(every.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return this;
    }

    /** Makes the next round start now (a status change queued something). */
    void wake() {
        wakeups.offer(Boolean.TRUE);
    }

    /** One round: sends every delivery due now, waiting for their answers. Returns how many were attempted. */
    int deliverDue() {
        int attempted = 0;
        while (!closed) {
            List<NotificationStore.Due> due = jdbi.inTransaction(h -> store.claimDue(h, BATCH, CLAIM));
            if (due.isEmpty()) break;
            List<Future<?>> sends = new ArrayList<>();
            for (NotificationStore.Due d : due) sends.add(senders.submit(() -> deliver(d)));
            for (Future<?> f : sends) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return attempted;
                } catch (java.util.concurrent.ExecutionException e) {
                    log.error("a notification delivery failed unexpectedly", e.getCause());
                }
            }
            attempted += due.size();
            if (due.size() < BATCH) break;
        }
        pending.set(jdbi.withHandle(store::pending));
        return attempted;
    }

    private void deliver(NotificationStore.Due d) {
        Optional<NotificationStore.Destination> destination =
                jdbi.withHandle(h -> store.destination(h, d.destinationId()));
        if (destination.isEmpty()) return; // removed meanwhile, its deliveries with it
        Attempt result = send(d, destination.get());
        Duration retry = result.ok() ? null : retryIn(d.attempts() + 1, d.createdAt(), clock.instant());
        jdbi.useHandle(h -> {
            if (result.ok()) store.delivered(h, d.deliveryId(), result.status());
            else store.attemptFailed(h, d.deliveryId(), result.status(), result.error(), retry);
        });
        if (result.ok()) {
            delivered.increment();
        } else {
            failed.increment();
            if (retry == null) {
                givenUp.increment();
                log.warn(
                        "notification {} to {} given up after {} attempts: {}",
                        d.deliveryId(),
                        d.destinationId(),
                        d.attempts() + 1,
                        result.error());
            }
        }
    }

    private record Attempt(boolean ok, Integer status, String error) {}

    private Attempt send(NotificationStore.Due d, NotificationStore.Destination destination) {
        URI url = URI.create(destination.url());
        Optional<String> refused = addresses.refusal(url.getHost());
        if (refused.isPresent()) return new Attempt(false, null, "refused: " + refused.get());
        String secret;
        try {
            secret = new String(
                    box.open(destination.sealedSecret(), NotificationService.context(destination.destinationId())),
                    StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            log.error("the signing secret of notification destination {} does not open", destination.destinationId());
            return new Attempt(false, null, "the signing secret does not open with this server's secrets key");
        }
        long timestamp = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("User-Agent", "iac-runner-notifications")
                .header(NotificationEvent.DELIVERY_HEADER, d.deliveryId())
                .header(NotificationEvent.EVENT_HEADER, d.event())
                .header(NotificationEvent.TIMESTAMP_HEADER, Long.toString(timestamp))
                .header(NotificationEvent.SIGNATURE_HEADER, Signature.header(secret, timestamp, d.payload()))
                .POST(HttpRequest.BodyPublishers.ofString(d.payload(), StandardCharsets.UTF_8))
                .build();
        try {
            // The body is never read: what a receiver says is not kept (it could echo anything).
            int status =
                    http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status / 100 == 2 ? new Attempt(true, status, null) : new Attempt(false, status, "HTTP " + status);
        } catch (HttpConnectTimeoutException e) {
            return new Attempt(false, null, "connect timed out after " + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            return new Attempt(false, null, "no answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            return new Attempt(false, null, "connection failed (refused or unreachable)");
        } catch (IOException e) {
            return new Attempt(false, null, "I/O error (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(false, null, "interrupted: the server was stopping");
        }
    }

    /**
     * When attempt {@code n} (1 = the first) having failed, the next one is due: 10 s doubling to 10 min; null once
     * that would fall past an hour after the event (given up).
     */
    static Duration retryIn(int n, Instant createdAt, Instant now) {
        long factor = 1L << Math.min(n - 1, 20);
        Duration delay = FIRST_RETRY.multipliedBy(factor);
        if (delay.compareTo(LONGEST_RETRY) > 0) delay = LONGEST_RETRY;
        return now.plus(delay).isAfter(createdAt.plus(GIVE_UP_AFTER)) ? null : delay;
    }

    @Override
    public void close() {
        closed = true;
        Thread t = loop;
        if (t != null) t.interrupt();
        senders.shutdownNow();
    }
}
