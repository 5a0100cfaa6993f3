package io.iacrunner.server.store;

import java.util.function.IntSupplier;
import org.jdbi.v3.core.Jdbi;

/**
 * One-time data upgrades that need the server (a key, a codec) and so cannot be plain SQL migrations: each runs on the
 * first start that finds it missing from {@code store_upgrades}, and is recorded there, so later starts skip it with
 * one lookup instead of scanning the store. A step must be safe to run twice: replicas starting at the same moment may
 * both run it before either records it.
 */
public final class StoreUpgrades {
    private StoreUpgrades() {}

    /** Runs {@code step} unless it ran before; returns what it returned (how many rows it changed), or 0. */
    public static int once(Jdbi jdbi, String name, IntSupplier step) {
        boolean done =
                jdbi.withHandle(h -> h.createQuery("select exists (select 1 from store_upgrades where step = :s)")
                        .bind("s", name)
                        .mapTo(Boolean.class)
                        .one());
        if (done) return 0;
        int changed = step.getAsInt();
        jdbi.useHandle(h -> h.createUpdate("insert into store_upgrades (step) values (:s) on conflict do nothing")
                .bind("s", name)
                .execute());
        return changed;
    }
}
