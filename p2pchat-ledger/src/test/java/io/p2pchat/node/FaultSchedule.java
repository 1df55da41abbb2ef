package io.p2pchat.node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A fault schedule as data (Jepsen generator style): timed operations, both nemesis faults and
 * client work, that {@link FaultCluster#run} interprets. Schedules print as a list of steps, so a
 * failing run names what happened when; a random schedule is reproducible from its seed.
 *
 * <p>Links are named by the two nodes they join ({@code a < b}); {@code -1} means every link.
 */
record FaultSchedule(String name, List<Step> steps) {
    FaultSchedule {
        steps = steps.stream().sorted(Comparator.comparingLong(Step::atMillis)).toList();
    }

    /** One operation at a time offset from the start of the run. */
    record Step(long atMillis, Op op) {
        @Override
        public String toString() {
            return "+" + atMillis + "ms " + op;
        }
    }

    /** An operation. */
    sealed interface Op
            permits Delay,
                    Stall,
                    Cut,
                    Reset,
                    Corrupt,
                    Duplicate,
                    Partition,
                    Pause,
                    Heal,
                    Restart,
                    Skew,
                    Mine,
                    Register,
                    Rotate,
                    Chat {}

    /** Latency on a link, both directions. */
    record Delay(int a, int b, long millis, long jitter) implements Op {}

    /** Holds all bytes on a link (on), or releases them. */
    record Stall(int a, int b, boolean on) implements Op {}

    /** Closes the link's open connections with FIN. */
    record Cut(int a, int b) implements Op {}

    /** Closes the link's open connections with RST. */
    record Reset(int a, int b) implements Op {}

    /** Flips one bit every {@code everyBytes} bytes on a link. */
    record Corrupt(int a, int b, long everyBytes) implements Op {}

    /** Sends {@code length} bytes again every {@code everyBytes} bytes on a link. */
    record Duplicate(int a, int b, long everyBytes, int length) implements Op {}

    /** Every link between the two sides refuses and resets (the sides may not cover all nodes). */
    record Partition(Set<Integer> one, Set<Integer> two) implements Op {}

    /** Stalls every link of a node (its peers see it frozen, as with SIGSTOP), or releases. */
    record Pause(int node, boolean on) implements Op {}

    /** Removes every link fault. */
    record Heal() implements Op {}

    /** Stops a node abruptly (its links reset first) and starts it again from its data. */
    record Restart(int node) implements Op {}

    /** Sets a node's clock offset from real time. */
    record Skew(int node, long millis) implements Op {}

    /** A node mines blocks. */
    record Mine(int node, int blocks) implements Op {}

    /** A node submits the registration of a new identity. */
    record Register(int node) implements Op {}

    /** A node submits a key rotation of one of the extra identities registered earlier. */
    record Rotate(int node) implements Op {}

    /** A node sends chat messages to its link neighbours. */
    record Chat(int node, int count) implements Op {}

    static Step at(long millis, Op op) {
        return new Step(millis, op);
    }

    /**
     * A random schedule of {@code durationMillis}: faults of bounded length on random links (delay,
     * stall, cut, reset, corruption, duplication, partition, pause, restart), interleaved with
     * mining, registrations, rotations and chat, ending healed. Reproducible from {@code random}'s
     * seed.
     */
    static FaultSchedule random(String name, Random random, int nodes, long durationMillis) {
        List<Step> steps = new ArrayList<>();
        long t = 0;
        while (t < durationMillis) {
            int a = random.nextInt(nodes);
            int b = (a + 1 + random.nextInt(nodes - 1)) % nodes;
            int lo = Math.min(a, b);
            int hi = Math.max(a, b);
            long len = 500 + random.nextInt(2500);
            switch (random.nextInt(12)) {
                case 0 -> {
                    steps.add(at(t, new Delay(lo, hi, 50 + random.nextInt(250), 50)));
                    steps.add(at(t + len, new Delay(lo, hi, 0, 0)));
                }
                case 1 -> {
                    steps.add(at(t, new Stall(lo, hi, true)));
                    steps.add(at(t + len, new Stall(lo, hi, false)));
                }
                case 2 -> steps.add(at(t, new Cut(lo, hi)));
                case 3 -> steps.add(at(t, new Reset(lo, hi)));
                case 4 -> {
                    steps.add(at(t, new Corrupt(lo, hi, 2048 + random.nextInt(8192))));
                    steps.add(at(t + len, new Corrupt(lo, hi, 0)));
                }
                case 5 -> {
                    steps.add(at(t, new Duplicate(lo, hi, 2048 + random.nextInt(8192), 40)));
                    steps.add(at(t + len, new Duplicate(lo, hi, 0, 0)));
                }
                case 6 -> {
                    Set<Integer> one = new java.util.HashSet<>();
                    for (int i = 0; i < nodes; i++) {
                        if (random.nextBoolean()) {
                            one.add(i);
                        }
                    }
                    Set<Integer> two = new java.util.HashSet<>();
                    for (int i = 0; i < nodes; i++) {
                        if (!one.contains(i)) {
                            two.add(i);
                        }
                    }
                    steps.add(at(t, new Partition(one, two)));
                    steps.add(
                            at(t + 1 + random.nextInt(nodes), new Mine(a, 1 + random.nextInt(3))));
                    steps.add(at(t + len + 3000, new Heal()));
                    t += len + 3000;
                }
                case 7 -> {
                    steps.add(at(t, new Pause(a, true)));
                    steps.add(at(t + len, new Pause(a, false)));
                }
                case 8 -> steps.add(at(t, new Restart(a)));
                case 9 -> steps.add(at(t, new Register(a)));
                case 10 -> steps.add(at(t, new Rotate(a)));
                default -> steps.add(at(t, new Mine(a, 1 + random.nextInt(3))));
            }
            steps.add(at(t + 1, new Chat(random.nextInt(nodes), 1 + random.nextInt(3))));
            t += 300 + random.nextInt(700);
        }
        steps.add(at(t + 3000, new Heal()));
        return new FaultSchedule(name, steps);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("schedule " + name + ":");
        for (Step st : steps) {
            s.append("\n  ").append(st);
        }
        return s.toString();
    }
}
