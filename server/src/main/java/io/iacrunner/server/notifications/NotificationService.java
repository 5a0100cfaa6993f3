package io.iacrunner.server.notifications;

import io.iacrunner.protocol.CreateNotificationRequest;
import io.iacrunner.protocol.DeliveryList;
import io.iacrunner.protocol.NotificationCreated;
import io.iacrunner.protocol.NotificationList;
import io.iacrunner.protocol.NotificationView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.secrets.SecretBox;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.iacrunner.server.workspaces.WorkspaceStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workspace's webhook destinations: added (the URL, its address and the events checked; the signing secret sealed),
 * listed (never with the secret), removed; and their delivery log.
 */
public final class NotificationService {
    private static final Logger log = LoggerFactory.getLogger(NotificationService.class);

    /** The events a destination may subscribe to: the statuses a task reaches that someone may want to hear of. */
    public static final List<String> EVENTS =
            List.of("planned", "succeeded", "failed", "errored", "canceled", "discarded");

    static final int MAX_PER_WORKSPACE = 20;
    static final int MAX_URL_LENGTH = 2048;
    static final int MIN_SECRET_BYTES = 16;
    static final int MAX_SECRET_BYTES = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Jdbi jdbi;
    private final NotificationStore store;
    private final WorkspaceStore workspaces;
    private final SecretBox box;
    private final AddressPolicy addresses;

    NotificationService(
            Jdbi jdbi, NotificationStore store, WorkspaceStore workspaces, SecretBox box, AddressPolicy addresses) {
        this.jdbi = jdbi;
        this.store = store;
        this.workspaces = workspaces;
        this.box = box;
        this.addresses = addresses;
    }

    /** Adds a destination (and the workspace, if new, as variables do); the secret is made here when none is given. */
    public NotificationCreated add(String workspaceId, CreateNotificationRequest request, String createdBy) {
        Ids.requireWorkspaceId(workspaceId);
        URI url = requireUrl(request.url());
        List<String> events = requireEvents(request.events());
        String generated = request.secret() == null ? newSecret() : null;
        String secret = generated != null ? generated : requireSecret(request.secret());
        addresses.refusal(url.getHost()).ifPresent(why -> {
            throw ApiProblem.badRequest("notify_address_refused", why);
        });
        String id = "n-" + Ids.task().substring(2);
        NotificationView view = jdbi.inTransaction(h -> {
            workspaces.ensure(h, workspaceId);
            workspaces.lockRow(h, workspaceId); // the count and the insert are one decision
            if (store.count(h, workspaceId) >= MAX_PER_WORKSPACE) {
                throw ApiProblem.conflict(
                        "too_many_notifications", "a workspace has at most " + MAX_PER_WORKSPACE + " destinations");
            }
            byte[] sealed = box.seal(secret.getBytes(StandardCharsets.UTF_8), context(id));
            return store.insert(h, id, workspaceId, url.toString(), events, sealed, createdBy);
        });
        log.info("workspace {}: notification destination {} added for {}", workspaceId, id, events);
        return new NotificationCreated(view, generated);
    }

    public NotificationList list(String workspaceId) {
        Ids.requireWorkspaceId(workspaceId);
        return jdbi.withHandle(h -> {
            if (!workspaces.exists(h, workspaceId)) throw WorkspaceService.notFound(workspaceId);
            return new NotificationList(workspaceId, store.list(h, workspaceId));
        });
    }

    public void remove(String workspaceId, String destinationId) {
        Ids.requireWorkspaceId(workspaceId);
        if (!jdbi.inTransaction(h -> store.delete(h, workspaceId, destinationId))) {
            throw ApiProblem.notFound(
                    "notification_not_found", "workspace " + workspaceId + " has no notification " + destinationId);
        }
        log.info("workspace {}: notification destination {} removed", workspaceId, destinationId);
    }

    /** The newest {@code limit} deliveries of the workspace, of one task if {@code taskId} is given. */
    public DeliveryList deliveries(String workspaceId, String taskId, int limit) {
        Ids.requireWorkspaceId(workspaceId);
        if (limit < 1 || limit > 1000) throw ApiProblem.badRequest("invalid_limit", "limit must be 1..1000");
        if (taskId != null && !Ids.isTask(taskId)) {
            throw ApiProblem.badRequest("invalid_task_id", "task_id is not a task id: " + taskId);
        }
        return jdbi.withHandle(h -> {
            if (!workspaces.exists(h, workspaceId)) throw WorkspaceService.notFound(workspaceId);
            return new DeliveryList(workspaceId, store.deliveries(h, workspaceId, taskId, limit));
        });
    }

    /** The associated data of a destination's sealed secret: it opens for that destination only. */
    static String context(String destinationId) {
        return "notification destination " + destinationId;
    }

    static URI requireUrl(String text) {
        if (text == null || text.isBlank()) throw invalidUrl("url is required");
        if (text.length() > MAX_URL_LENGTH) throw invalidUrl("url is longer than " + MAX_URL_LENGTH + " characters");
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw invalidUrl("url is not a URL: " + e.getReason());
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) throw invalidUrl("url must be http:// or https://");
        if (url.getHost() == null || url.getHost().isEmpty()) throw invalidUrl("url has no host");
        // Credentials in a URL would be shown by every list; a fragment is never sent.
        if (url.getRawUserInfo() != null) throw invalidUrl("url must not hold a user name or password");
        if (url.getRawFragment() != null) throw invalidUrl("url must not have a #fragment");
        return url;
    }

    private static ApiProblem invalidUrl(String why) {
        return ApiProblem.badRequest("invalid_url", why);
    }

    static List<String> requireEvents(List<String> events) {
        if (events == null || events.isEmpty()) {
            throw ApiProblem.badRequest("invalid_events", "events is required: some of " + String.join(",", EVENTS));
        }
        Set<String> seen = new HashSet<>();
        for (String e : events) {
            if (e == null || !EVENTS.contains(e)) {
                throw ApiProblem.badRequest(
                        "invalid_events", "unknown event '" + e + "' (known: " + String.join(",", EVENTS) + ")");
            }
            if (!seen.add(e)) throw ApiProblem.badRequest("invalid_events", "event '" + e + "' is given twice");
        }
        return List.copyOf(events);
    }

    private static String requireSecret(String secret) {
        int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES || secret.isBlank()) {
            throw ApiProblem.badRequest(
                    "invalid_secret",
                    "a signing secret is " + MIN_SECRET_BYTES + " to " + MAX_SECRET_BYTES + " bytes, not " + bytes);
        }
        return secret;
    }

    private static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
