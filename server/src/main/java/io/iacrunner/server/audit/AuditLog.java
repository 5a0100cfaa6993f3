package io.iacrunner.server.audit;

import io.iacrunner.protocol.AuditEventList;
import io.iacrunner.protocol.AuditEventView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.util.Rows;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Security events, kept in the store and logged: tokens created and revoked, forced unlocks, cancels, key
 * rotations, failed authentications. Failed authentications are recorded at most once per address every ten
 * seconds, so a flood of bad tokens cannot flood the table.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger("audit");
    private static final Duration FAILURE_WINDOW = Duration.ofSeconds(10);
    private static final int MAX_TRACKED_ADDRESSES = 10_000;

    private final Jdbi jdbi;
    private final Clock clock;
    private final Map<String, FailureWindow> failures = new ConcurrentHashMap<>();

    private record FailureWindow(Instant opened, int folded) {}

    public AuditLog(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    public void record(String kind, String actor, String subject, String detail, String remoteAddr) {
        recordIn(null, kind, actor, subject, detail, remoteAddr);
    }

    /** An event inside organisation {@code org} (null: site-wide). */
    public void recordIn(String org, String kind, String actor, String subject, String detail, String remoteAddr) {
        log.info("{} by {} in {} on {}: {} (from {})", kind, actor, org, subject, detail, remoteAddr);
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into audit_events (org_id, kind, actor, subject, detail, remote_addr)
                        values (:org, :kind, :actor, :subject, :detail, :addr)""")
                .bind("org", org)
                .bind("kind", kind)
                .bind("actor", actor)
                .bind("subject", subject)
                .bind("detail", detail)
                .bind("addr", remoteAddr)
                .execute());
    }

    public void authenticationFailed(String remoteAddr, String path, String reason) {
        String address = remoteAddr == null ? "unknown" : remoteAddr;
        Instant now = clock.instant();
        if (failures.size() > MAX_TRACKED_ADDRESSES) failures.clear();
        FailureWindow window = failures.compute(
                address,
                (a, w) -> w == null || now.isAfter(w.opened().plus(FAILURE_WINDOW))
                        ? new FailureWindow(now, 0)
                        : new FailureWindow(w.opened(), w.folded() + 1));
        if (window.folded() > 0) return;
        record("authentication_failed", "anonymous", path, reason, address);
    }

    /** An event about workspace {@code workspaceKey}: in its organisation. */
    public void recordOnWorkspace(
            String workspaceKey, String kind, String actor, String subject, String detail, String remoteAddr) {
        recordIn(OrgNames.orgOf(workspaceKey), kind, actor, subject, detail, remoteAddr);
    }

    /** The newest events: all of them ({@code org} null), or those of one organisation. */
    public AuditEventList recent(String org, int limit) {
        if (limit < 1 || limit > 1000) throw ApiProblem.badRequest("invalid_limit", "limit must be 1..1000");
        return new AuditEventList(jdbi.withHandle(h -> h.createQuery("""
                        select * from audit_events where cast(:org as text) is null or org_id = :org
                        order by event_id desc limit :limit""")
                .bind("org", org)
                .bind("limit", limit)
                .map((rs, ctx) -> new AuditEventView(
                        rs.getLong("event_id"),
                        Rows.instant(rs, "at"),
                        rs.getString("kind"),
                        rs.getString("actor"),
                        rs.getString("subject"),
                        rs.getString("detail"),
                        rs.getString("remote_addr"),
                        rs.getString("org_id")))
                .list()));
    }
}
