package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.AuditEventList;
import io.iacrunner.protocol.AuditEventView;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description =
                "Security events, newest first: tokens created and revoked, unlocks, cancels, key rotations, failed sign-ins,"
                        + " grants. The site admin sees all of them; with --org (or IAC_ORG), that organisation's, which"
                        + " its owners may read.")
public final class AuditCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "50",
            description = "How many (default ${DEFAULT-VALUE}, at most 1000).")
    int limit;

    @Option(names = "--json", description = "Print the events as JSON.")
    boolean json;

    public AuditCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        // An organisation named (even default) asks for its events, which its owner may read; none, for all of them.
        String org = client.explicitOrg();
        AuditEventList events = client.client()
                .get(
                        ApiPaths.AUDIT_EVENTS + "?limit=" + limit
                                + (org == null ? "" : "&org=" + URLEncoder.encode(org, StandardCharsets.UTF_8)),
                        AuditEventList.class);
        if (json) {
            ctx.out().println(Format.json(events));
            return ExitCodes.OK;
        }
        List<List<String>> rows = new ArrayList<>();
        for (AuditEventView e : events.events()) {
            rows.add(List.of(
                    Format.shortTime(e.at()),
                    e.kind(),
                    e.actor(),
                    orNone(e.subject()),
                    orNone(e.detail()),
                    orNone(e.remoteAddr())));
        }
        ctx.out().print(Format.table(List.of("AT", "EVENT", "BY", "ON", "DETAIL", "FROM"), rows));
        return ExitCodes.OK;
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
