package io.p2pchat.bench;

/**
 * How long each part of the suite runs. Every duration is bounded, so a whole run is too.
 *
 * @param name shown in the report
 * @param warmupPassMillis per side, one unrecorded run of each figure before the rounds, so that
 *     every side is JIT-compiled before it is measured
 * @param rounds measured rounds per side and figure (the median is reported)
 * @param bulkWarmupMillis per bulk run, discarded
 * @param bulkMeasureMillis per bulk run, measured
 * @param rttWarmupMillis per ping-pong run, discarded
 * @param rttMeasureMillis per ping-pong run, measured
 * @param handshakeWarmupMillis per handshake run, discarded
 * @param handshakeMeasureMillis per handshake run, measured
 * @param heapSessions session counts of the idle-session heap measurement, ascending
 * @param jmhForks JMH forks (0 runs in this JVM: for the smoke test only)
 * @param jmhWarmupIterations JMH warm-up iterations
 * @param jmhMeasureIterations JMH measured iterations
 * @param jmhIterationMillis length of one JMH iteration
 * @param ledger sizes of the ledger figures' fixtures and runs
 */
public record BenchProfile(
        String name,
        int warmupPassMillis,
        int rounds,
        int bulkWarmupMillis,
        int bulkMeasureMillis,
        int rttWarmupMillis,
        int rttMeasureMillis,
        int handshakeWarmupMillis,
        int handshakeMeasureMillis,
        int[] heapSessions,
        int jmhForks,
        int jmhWarmupIterations,
        int jmhMeasureIterations,
        int jmhIterationMillis,
        LedgerSizes ledger) {

    /**
     * Sizes of the ledger figures' fixtures and runs (docs/benchmarks.md).
     *
     * @param reopenIdentities identities of the reopened data directory (issue 5: 100,000)
     * @param syncRegistrations registrations a new node syncs (issue 5: 10,000)
     * @param validateBlocks blocks of one registration each for the validation rate
     * @param validateRuns validation rounds (the median is reported)
     * @param syncRuns syncs (the median is reported)
     * @param reopenRuns cold reopens, each in a fresh child JVM (the median is reported)
     * @param caMillis length of the CA verification run
     */
    public record LedgerSizes(
            int reopenIdentities,
            int syncRegistrations,
            int validateBlocks,
            int validateRuns,
            int syncRuns,
            int reopenRuns,
            int caMillis) {}

    /**
     * The full suite: about 10 minutes on a loaded 2-core machine (half of it the 10k RSA-3072
     * handshakes of the heap figure), bounded under 15 by {@code ./bench}.
     */
    public static final BenchProfile FULL =
            new BenchProfile(
                    "full",
                    3000,
                    5,
                    1000,
                    2000,
                    500,
                    2000,
                    1000,
                    2000,
                    new int[] {1000, 10000},
                    1,
                    2,
                    3,
                    700,
                    new LedgerSizes(100_000, 10_000, 5_000, 3, 3, 3, 1000));

    /**
     * {@code --quick}: shorter rounds, 1k idle sessions only, smaller ledger fixtures (reopen of
     * 10,000 identities, sync of 2,000 registrations), the JMH ceilings without the record-layer
     * costs; about 2.5 minutes, under 3.
     */
    public static final BenchProfile QUICK =
            new BenchProfile(
                    "quick",
                    800,
                    3,
                    300,
                    800,
                    200,
                    800,
                    300,
                    800,
                    new int[] {1000},
                    1,
                    4,
                    2,
                    300,
                    new LedgerSizes(10_000, 2_000, 1_000, 2, 1, 2, 500));

    /** {@code --smoke}: tiny durations, only to check that every figure is produced. */
    public static final BenchProfile SMOKE =
            new BenchProfile(
                    "smoke",
                    100,
                    1,
                    100,
                    200,
                    50,
                    200,
                    100,
                    400,
                    new int[] {20},
                    0,
                    0,
                    1,
                    50,
                    new LedgerSizes(300, 200, 100, 1, 1, 1, 100));
}
