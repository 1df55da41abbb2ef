package io.p2pchat.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak (ATTACKS B6, issue 6): 4 in-process nodes chatting, rotating keys (ratchet every 8
 * records, rekey every 2 s; ledger key rotations of extra identities) and mining under random fault
 * schedules of 45 s each, the checker after every one, for {@code -Dp2pchat.soak.minutes} minutes
 * (skipped without it; {@code ./soak [minutes]}). Heap after GC, open file descriptors and threads
 * are sampled every 15 s and must stay flat.
 *
 * <p>In-process rather than child JVMs: the checker reads every ledger and chat store directly, and
 * the heap and descriptor counts of one JVM cover all nodes and the proxy, so a leak anywhere
 * shows. A real SIGKILL of a ledger process is {@code LedgerCrashTest}'s business (S-01).
 */
class SoakTest {
    record Sample(long seconds, long heapMiB, long fds, int threads) {}

    @Test
    void soak(@TempDir Path dir) throws Exception {
        Integer minutes = Integer.getInteger("p2pchat.soak.minutes");
        Assumptions.assumeTrue(minutes != null, "set -Dp2pchat.soak.minutes (./soak)");
        long seed = Long.getLong("p2pchat.soak.seed", System.nanoTime());
        System.out.println("SOAK seed " + seed + ", " + minutes + " minutes");
        Random random = new Random(seed);
        List<Sample> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<FaultCluster.Verdict> verdicts = new ArrayList<>();
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MINUTES.toNanos(minutes);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (FaultCluster c = new FaultCluster("soak", 4, FaultCluster.fullMesh(4), dir, seed)) {
            sampler.scheduleAtFixedRate(
                    () -> {
                        Sample s = sample(start);
                        samples.add(s);
                        System.out.println("SOAK sample " + s);
                    },
                    0,
                    15,
                    TimeUnit.SECONDS);
            int round = 0;
            // Bounded: each round is a 45 s schedule plus at most 90 s of convergence.
            while (System.nanoTime() < deadline && round < 10 * minutes) {
                FaultSchedule s = FaultSchedule.random("soak-" + round, random, 4, 45_000);
                c.run(s);
                FaultCluster.Verdict v = c.check(s.name(), Duration.ofSeconds(90));
                verdicts.add(v);
                System.out.println("SOAK verdict " + v);
                if (!v.ok()) {
                    System.out.println(s);
                    break;
                }
                round++;
            }
            System.out.println(
                    "SOAK links: "
                            + c.linkTotal(p -> p.connections())
                            + " connections, "
                            + c.linkTotal(p -> p.corruptedBits())
                            + " bits corrupted, "
                            + c.linkTotal(p -> p.duplicatedRanges())
                            + " ranges duplicated, "
                            + c.linkTotal(p -> p.resets())
                            + " resets, "
                            + c.restarts
                            + " restarts");
        } finally {
            sampler.shutdownNow();
        }
        samples.add(sample(start));
        long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        boolean ok = !verdicts.isEmpty() && verdicts.stream().allMatch(FaultCluster.Verdict::ok);
        System.out.println(
                "SOAK done after "
                        + elapsed
                        + " s: "
                        + verdicts.size()
                        + " schedules, verdict "
                        + (ok ? "PASS" : "FAIL"));
        System.out.println("SOAK series (s, heap MiB after GC, fds, threads):");
        for (Sample s : samples) {
            System.out.println(
                    "SOAK   "
                            + s.seconds()
                            + " "
                            + s.heapMiB()
                            + " "
                            + s.fds()
                            + " "
                            + s.threads());
        }
        assertThat(ok).as("every schedule passes the checker").isTrue();
        // Flat: the last third stays within bounds of the first third (after the warm-up sample).
        int n = samples.size();
        assertThat(n).isGreaterThanOrEqualTo(4);
        List<Sample> early = samples.subList(1, Math.max(2, n / 3));
        List<Sample> late = samples.subList(n - Math.max(1, n / 3), n);
        long heapEarly = early.stream().mapToLong(Sample::heapMiB).max().orElseThrow();
        long fdsEarly = early.stream().mapToLong(Sample::fds).max().orElseThrow();
        int threadsEarly = early.stream().mapToInt(Sample::threads).max().orElseThrow();
        for (Sample s : late) {
            assertThat(s.heapMiB())
                    .as("heap at %d s", s.seconds())
                    .isLessThanOrEqualTo(heapEarly * 3 / 2 + 32);
            assertThat(s.fds()).as("fds at %d s", s.seconds()).isLessThanOrEqualTo(fdsEarly + 40);
            assertThat(s.threads())
                    .as("threads at %d s", s.seconds())
                    .isLessThanOrEqualTo(threadsEarly + 40);
        }
    }

    static Sample sample(long start) {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heap = mem.getHeapMemoryUsage().getUsed() >> 20;
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        long fds =
                os instanceof UnixOperatingSystemMXBean
                        ? ((UnixOperatingSystemMXBean) os).getOpenFileDescriptorCount()
                        : -1;
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        return new Sample(
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), heap, fds, threads);
    }
}
