package io.iacrunner.protocol;

/**
 * Fair-scheduling weights of organisations and workspaces: a share of a pool's capacity in proportion to the weight,
 * an integer 1..{@link #MAX} (the schema's check says the same), 1 unless set.
 */
public final class Weights {
    public static final int MAX = 1000;

    private Weights() {}

    public static boolean valid(int weight) {
        return weight >= 1 && weight <= MAX;
    }
}
