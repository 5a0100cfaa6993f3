package io.iacrunner.bench;

import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Log lines that look like an apply of a large configuration: progress, completion, refresh and plan lines of
 * resources in modules, with a deprecation warning on stderr now and then, each 80 to 120 characters. Deterministic
 * (a fixed seed), so every mode of a run, and every run, ingests the same text.
 */
final class TerraformLikeLines {
    static final int MIN_CHARS = 80;
    static final int MAX_CHARS = 120;

    private static final String[] MODULES = {
        "module.network_prod",
        "module.eks_cluster",
        "module.payments_api",
        "module.observability",
        "module.data_lake_raw",
    };

    private TerraformLikeLines() {}

    /** {@code count} lines with seq 0.., one millisecond apart from a fixed instant. */
    static List<LogLine> generate(int count) {
        Random random = new Random(42);
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        List<LogLine> lines = new ArrayList<>(count);
        for (int seq = 0; seq < count; seq++) {
            boolean warning = random.nextInt(8) == 0;
            String text;
            do {
                text = warning ? warning(random) : progress(random);
            } while (text.length() < MIN_CHARS || text.length() > MAX_CHARS);
            lines.add(new LogLine(seq, start.plusMillis(seq), warning ? LogStream.STDERR : LogStream.STDOUT, text));
        }
        return lines;
    }

    private static String progress(Random r) {
        String m = MODULES[r.nextInt(MODULES.length)];
        return switch (r.nextInt(6)) {
            case 0 ->
                m + ".aws_instance.batch_worker[" + r.nextInt(64) + "]: Still creating... [" + r.nextInt(10) + "m"
                        + String.format(Locale.ROOT, "%02d", r.nextInt(60)) + "s elapsed]";
            case 1 ->
                m + ".aws_security_group_rule.ingress[\"tcp-" + (1024 + r.nextInt(60000))
                        + "\"]: Creation complete after " + r.nextInt(30) + "s [id=sgrule-"
                        + (1_000_000_000L + r.nextInt(Integer.MAX_VALUE)) + "]";
            case 2 ->
                m + ".aws_route53_record.service[\"svc-" + r.nextInt(500)
                        + ".internal.example.com\"]: Refreshing state..." + " [id=Z"
                        + Integer.toHexString(r.nextInt()).toUpperCase() + "]";
            case 3 ->
                "  # " + m + ".aws_iam_role_policy_attachment.attach[\"policy-" + r.nextInt(100)
                        + "\"] will be created";
            case 4 ->
                m + ".aws_s3_object.assets[\"static/js/chunk-" + Integer.toHexString(r.nextInt())
                        + ".js\"]: Modifications" + " complete after " + r.nextInt(5) + "s";
            default ->
                m + ".aws_lb_target_group_attachment.tg[" + r.nextInt(32) + "]: Destruction complete after "
                        + r.nextInt(90) + "s";
        };
    }

    private static String warning(Random r) {
        return "Warning: Argument is deprecated: " + MODULES[r.nextInt(MODULES.length)] + ".aws_s3_bucket.logs["
                + r.nextInt(16) + "] sets \"acl\"; use aws_s3_bucket_acl instead";
    }
}
