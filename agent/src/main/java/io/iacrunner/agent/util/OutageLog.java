package io.iacrunner.agent.util;

import org.slf4j.Logger;

/**
 * Reports a run of failures once at WARN and its end once at INFO: a server that is down for an hour must not
 * produce one warning per retry.
 */
public final class OutageLog {
    private final Logger log;
    private final String what;
    private int failures;

    public OutageLog(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    public synchronized void failed(Exception e) {
        if (failures++ == 0) {
            log.warn("{} failing, retrying until it works: {}", what, e.toString());
        } else {
            log.debug("{} failed again ({} tries): {}", what, failures, e.toString());
        }
    }

    public synchronized void recovered() {
        if (failures > 0) log.info("{} works again after {} failed tries", what, failures);
        failures = 0;
    }
}
