package io.p2pchat.node;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.p2pchat.channel.RotationPolicy;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.chain.IdentityEntry;
import io.p2pchat.ledger.chain.LedgerServices;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.sync.SyncSettings;
import io.p2pchat.ledger.testing.CheapIdentities;
import io.p2pchat.testing.FaultProxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A network of in-process nodes (ATTACKS B6) whose links all pass through a {@link FaultProxy}:
 * each pair of neighbours {@code a < b} is one link on which {@code b} dials {@code a}. Each node
 * has its own data directory (restarts resume from disk), its own clock (skew), a {@link ChatApp},
 * short idle and keep-alive timeouts (so a stall is noticed in seconds) and a rotation policy that
 * ratchets every 8 records and rekeys every 2 s.
 *
 * <p>{@link #run} interprets a {@link FaultSchedule}; {@link #check} is the checker: after healing
 * it waits for convergence (bounded), then verifies (1) every chain fully re-validates, (2) any two
 * nodes agree below {@code min(tip) - k}, (3) no acknowledged chat message was lost, altered or
 * delivered twice, (4) each identity resolves to one key on every node.
 */
final class FaultCluster implements AutoCloseable {
    static final int K = 2;
    static final Duration IDLE = Duration.ofSeconds(3);

    /** A clock at a settable offset from real time. */
    static final class OffsetClock extends Clock {
        final AtomicLong offset = new AtomicLong();

        @Override
        public long millis() {
            return System.currentTimeMillis() + offset.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    final NetworkParameters params;
    final int size;
    final Path dir;
    final FaultProxy proxy;
    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final Node[] nodes;
    final Ledger[] ledgers;
    final ChatApp[] chats;
    final OffsetClock[] clocks;
    final Map<List<Integer>, FaultProxy.Link> links = new LinkedHashMap<>();
    final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    private final CheapIdentities cheap = new CheapIdentities();
    private final Map<PeerId, LocalIdentity> keys = new ConcurrentHashMap<>();
    private final List<PeerId> extras = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Random random;
    private final AtomicLong chatCounter = new AtomicLong();
    int restarts;

    static NetworkParameters params(String name) {
        return NetworkParameters.builder()
                .name(name)
                .trivialDifficulty()
                .targetBlockInterval(Duration.ofMillis(1))
                .confirmations(K)
                .genesisTimeMillis(System.currentTimeMillis() - 86_400_000L)
                .build();
    }

    /**
     * Starts {@code size} nodes on 127.0.0.{i+1} with data under {@code dir}, links them through
     * the proxy ({@code pairs}: [a, b] with a < b), registers every node's identity and confirms
     * it.
     */
    FaultCluster(String name, int size, List<int[]> pairs, Path dir, long seed) throws Exception {
        this.params = params(name);
        this.size = size;
        this.dir = dir;
        this.random = new Random(seed);
        this.proxy = new FaultProxy(seed);
        this.nodes = new Node[size];
        this.ledgers = new Ledger[size];
        this.chats = new ChatApp[size];
        this.clocks = new OffsetClock[size];
        for (int i = 0; i < size; i++) {
            clocks[i] = new OffsetClock();
            chats[i] = new ChatApp("n" + i);
            startNode(i);
        }
        for (int[] p : pairs) {
            int a = Math.min(p[0], p[1]);
            int b = Math.max(p[0], p[1]);
            FaultProxy.Link l =
                    proxy.link("n" + a + "-n" + b, host(a), nodes[a].localAddress(), host(b));
            links.put(List.of(a, b), l);
        }
        for (Map.Entry<List<Integer>, FaultProxy.Link> e : links.entrySet()) {
            nodes[e.getKey().get(1)].join(e.getValue().address());
        }
        awaitLinksUp(Duration.ofSeconds(30));
        for (Node n : nodes) {
            TxResult r = n.register(List.of(), null).get(30, TimeUnit.SECONDS);
            if (r.status() != TxResult.Status.ACCEPTED) {
                throw new IllegalStateException(r.message());
            }
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> ledgers[0].mempool().get().size() == size);
        mine(0, K + 1);
        awaitConverged(Duration.ofSeconds(30));
        awaitFullAccess(Duration.ofSeconds(30));
    }

    static String host(int i) {
        return "127.0.0." + (i + 1);
    }

    static LocalIdentity identity(int i) {
        return io.p2pchat.testing.TestIdentities.get("fault-node" + i);
    }

    private void startNode(int i) throws Exception {
        Ledger ledger =
                Ledger.builder(params)
                        .name("n" + i)
                        .clock(clocks[i])
                        .dataDirectory(dir.resolve("n" + i))
                        .open();
        Node n =
                Node.builder(identity(i), ledger)
                        .listen(host(i), 0)
                        .eventLoopGroup(group)
                        .discovery(false)
                        .syncSettings(
                                SyncSettings.DEFAULT.withTimings(
                                        Duration.ofSeconds(5), Duration.ofMillis(500)))
                        .maintenanceInterval(Duration.ofMillis(200))
                        .application(chats[i])
                        .channel(
                                c ->
                                        c.idleTimeout(IDLE)
                                                .keepAliveInterval(Duration.ofMillis(700))
                                                .handshakeTimeout(Duration.ofSeconds(5))
                                                .rotationPolicy(
                                                        RotationPolicy.DEFAULT.withRekey(
                                                                64, Duration.ofSeconds(2))))
                        .build()
                        .start();
        ledgers[i] = ledger;
        nodes[i] = n;
        chats[i].node = n;
    }

    /** Neighbours of node i. */
    List<Integer> neighbours(int i) {
        List<Integer> out = new ArrayList<>();
        for (List<Integer> p : links.keySet()) {
            if (p.get(0) == i) {
                out.add(p.get(1));
            } else if (p.get(1) == i) {
                out.add(p.get(0));
            }
        }
        return out;
    }

    List<FaultProxy.Link> linksOf(int a, int b) {
        if (a < 0) {
            return new ArrayList<>(links.values());
        }
        FaultProxy.Link l = links.get(List.of(Math.min(a, b), Math.max(a, b)));
        return l == null ? List.of() : List.of(l);
    }

    void awaitLinksUp(Duration timeout) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> {
                            for (int i = 0; i < size; i++) {
                                for (int j : neighbours(i)) {
                                    if (nodes[i].peer(identity(j).peerId()).isEmpty()) {
                                        return false;
                                    }
                                }
                            }
                            return true;
                        });
    }

    void awaitFullAccess(Duration timeout) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> {
                            for (int i = 0; i < size; i++) {
                                for (int j : neighbours(i)) {
                                    PeerAccess a =
                                            nodes[i].peer(identity(j).peerId())
                                                    .map(NodePeer::access)
                                                    .orElse(null);
                                    if (a != PeerAccess.FULL) {
                                        return false;
                                    }
                                }
                            }
                            return true;
                        });
    }

    boolean sameTip() {
        BlockHash t = ledgers[0].tip().hash();
        for (Ledger l : ledgers) {
            if (!l.tip().hash().equals(t)) {
                return false;
            }
        }
        return true;
    }

    void awaitConverged(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(this::sameTip);
    }

    void mine(int i, int blocks) throws Exception {
        ledgers[i].miner().mineBlocks(blocks).get(60, TimeUnit.SECONDS);
    }

    int unacked() {
        int n = 0;
        for (ChatApp c : chats) {
            n += c.unacked();
        }
        return n;
    }

    long sentMessages() {
        long n = 0;
        for (ChatApp c : chats) {
            n += c.sent.size();
        }
        return n;
    }

    // ------------------------------------------------------------------ the schedule

    /** Runs a schedule in real time (bounded by its last step), then leaves the cluster healed. */
    void run(FaultSchedule schedule) throws Exception {
        events.add("run " + schedule.name() + " (" + schedule.steps().size() + " steps)");
        long start = System.nanoTime();
        for (FaultSchedule.Step s : schedule.steps()) {
            long due = start + TimeUnit.MILLISECONDS.toNanos(s.atMillis());
            // Waiting for the next step's time: this paces the nemesis, it synchronizes nothing.
            for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
                LockSupport.parkNanos(Math.min(due - now, 200_000_000L));
                for (ChatApp c : chats) {
                    c.resendUnacked();
                }
            }
            apply(s.op());
        }
        apply(new FaultSchedule.Heal());
    }

    void apply(FaultSchedule.Op op) throws Exception {
        if (op instanceof FaultSchedule.Delay d) {
            linksOf(d.a(), d.b()).forEach(l -> l.delay(d.millis(), d.jitter()));
        } else if (op instanceof FaultSchedule.Stall s) {
            linksOf(s.a(), s.b()).forEach(l -> l.stall(s.on()));
        } else if (op instanceof FaultSchedule.Cut c) {
            linksOf(c.a(), c.b()).forEach(FaultProxy.Link::cut);
        } else if (op instanceof FaultSchedule.Reset r) {
            linksOf(r.a(), r.b()).forEach(FaultProxy.Link::reset);
        } else if (op instanceof FaultSchedule.Corrupt c) {
            linksOf(c.a(), c.b()).forEach(l -> l.corruptEvery(c.everyBytes()));
        } else if (op instanceof FaultSchedule.Duplicate d) {
            linksOf(d.a(), d.b()).forEach(l -> l.duplicateEvery(d.everyBytes(), d.length()));
        } else if (op instanceof FaultSchedule.Partition p) {
            for (int a : p.one()) {
                for (int b : p.two()) {
                    linksOf(a, b).forEach(l -> l.partition(true));
                }
            }
        } else if (op instanceof FaultSchedule.Pause p) {
            for (int j : neighbours(p.node())) {
                linksOf(p.node(), j).forEach(l -> l.stall(p.on()));
            }
        } else if (op instanceof FaultSchedule.Heal) {
            links.values().forEach(FaultProxy.Link::clear);
        } else if (op instanceof FaultSchedule.Restart r) {
            restart(r.node());
        } else if (op instanceof FaultSchedule.Skew s) {
            clocks[s.node()].offset.set(s.millis());
        } else if (op instanceof FaultSchedule.Mine m) {
            mine(m.node(), m.blocks());
        } else if (op instanceof FaultSchedule.Register r) {
            LocalIdentity id = cheap.next();
            LedgerTransaction tx =
                    IdentityTransactions.forNetwork(params).register(id, List.of(), null);
            TxResult res = nodes[r.node()].submit(tx).get(30, TimeUnit.SECONDS);
            if (res.status() == TxResult.Status.ACCEPTED) {
                keys.put(id.peerId(), id);
                extras.add(id.peerId());
            }
        } else if (op instanceof FaultSchedule.Rotate r) {
            rotate(r.node());
        } else if (op instanceof FaultSchedule.Chat c) {
            for (int j : neighbours(c.node())) {
                for (int k = 0; k < c.count(); k++) {
                    chats[c.node()].send(
                            identity(j).peerId(),
                            "m" + chatCounter.incrementAndGet() + " n" + c.node() + "->n" + j);
                }
            }
        } else {
            throw new IllegalArgumentException("op: " + op);
        }
    }

    private void rotate(int i) throws Exception {
        Ledger l = ledgers[i];
        for (PeerId id : extras) {
            var rec = l.identity(id);
            if (rec.isEmpty() || rec.get().revokedAtHeight().isPresent()) {
                continue;
            }
            LocalIdentity current = keys.get(rec.get().currentKeyId());
            if (current == null) {
                continue;
            }
            LocalIdentity next = cheap.next();
            long seq = l.nextSequence(id).get(10, TimeUnit.SECONDS);
            LedgerTransaction tx =
                    IdentityTransactions.forNetwork(params).rotateKey(current, next, id, seq);
            TxResult r = nodes[i].submit(tx).get(30, TimeUnit.SECONDS);
            if (r.status() == TxResult.Status.ACCEPTED) {
                keys.put(next.peerId(), next);
                return;
            }
        }
    }

    /** Resets the node's links, closes it and its ledger, and starts it again from its data. */
    void restart(int i) throws Exception {
        for (int j : neighbours(i)) {
            linksOf(i, j).forEach(FaultProxy.Link::reset);
        }
        nodes[i].close();
        ledgers[i].close();
        startNode(i);
        restarts++;
        for (Map.Entry<List<Integer>, FaultProxy.Link> e : links.entrySet()) {
            if (e.getKey().get(0) == i) {
                e.getValue().retarget(nodes[i].localAddress());
            } else if (e.getKey().get(1) == i) {
                nodes[i].join(e.getValue().address());
            }
        }
        events.add("restarted n" + i + " at height " + ledgers[i].tip().height());
    }

    // ------------------------------------------------------------------ the checker

    /** The checker's verdict after one schedule. */
    record Verdict(
            String schedule,
            boolean converged,
            long convergeMillis,
            long height,
            int identities,
            long sent,
            long acked,
            long resentCopies,
            List<String> failures) {
        boolean ok() {
            return converged && failures.isEmpty();
        }

        @Override
        public String toString() {
            return String.format(
                    "%s: %s (converged %s in %d ms; height %d, %d identities; chat %d sent, %d"
                            + " acked, %d resent copies deduplicated)%s",
                    schedule,
                    ok() ? "PASS" : "FAIL",
                    converged,
                    convergeMillis,
                    height,
                    identities,
                    sent,
                    acked,
                    resentCopies,
                    failures.isEmpty() ? "" : "\n  " + String.join("\n  ", failures));
        }
    }

    /**
     * Heals everything, waits up to {@code converge} for one tip and an empty chat outbox on every
     * node, then checks the four properties.
     */
    Verdict check(String schedule, Duration converge) throws Exception {
        apply(new FaultSchedule.Heal());
        for (OffsetClock c : clocks) {
            c.offset.set(0);
        }
        long start = System.nanoTime();
        long[] lastMined = {start};
        boolean converged = true;
        try {
            await().atMost(converge)
                    .pollInterval(Duration.ofMillis(100))
                    .until(
                            () -> {
                                for (ChatApp c : chats) {
                                    c.resendUnacked();
                                }
                                if (sameTip()) {
                                    return unacked() == 0;
                                }
                                // Tips of equal work stay apart until someone mines on one of
                                // them (first seen wins): keep mining, as a live network does.
                                if (System.nanoTime() - lastMined[0] > 2_000_000_000L) {
                                    lastMined[0] = System.nanoTime();
                                    mine(random.nextInt(size), 1);
                                    events.add("checker mined a block to break a tie");
                                }
                                return false;
                            });
        } catch (ConditionTimeoutException e) {
            converged = false;
        }
        long convergeMillis = (System.nanoTime() - start) / 1_000_000;
        List<String> failures = new ArrayList<>();
        if (!converged) {
            StringBuilder tips = new StringBuilder("no convergence within " + converge + ":");
            for (int i = 0; i < size; i++) {
                tips.append(
                        String.format(
                                " n%d=%s@%d(%d peers, %d unacked)",
                                i,
                                ledgers[i].tip().hash().shortHex(),
                                ledgers[i].tip().height(),
                                nodes[i].peers().size(),
                                chats[i].unacked()));
            }
            failures.add(tips.toString());
        }
        // (1) every chain fully re-validates.
        for (int i = 0; i < size; i++) {
            try {
                long n = ledgers[i].verifyFully().get(120, TimeUnit.SECONDS);
                if (n != ledgers[i].tip().height()) {
                    failures.add("(1) n" + i + " re-validated " + n + " blocks of " + ledgers[i]);
                }
            } catch (Exception e) {
                failures.add("(1) n" + i + " does not re-validate: " + e);
            }
        }
        // (2) agreement below min(tip) - k.
        long min = Long.MAX_VALUE;
        for (Ledger l : ledgers) {
            min = Math.min(min, l.tip().height());
        }
        long h = min - K;
        if (h > 0) {
            BlockHash ref = ledgers[0].headerAt(h).orElseThrow().hash();
            for (int i = 1; i < size; i++) {
                BlockHash x = ledgers[i].headerAt(h).map(b -> b.hash()).orElse(null);
                if (!ref.equals(x)) {
                    failures.add("(2) n0 and n" + i + " disagree at height " + h);
                }
            }
        }
        // (3) chat: nothing acknowledged lost, altered or duplicated.
        Map<PeerId, Integer> byKey = new HashMap<>();
        for (int i = 0; i < size; i++) {
            byKey.put(identity(i).peerId(), i);
        }
        long acked = 0;
        long resent = 0;
        for (int i = 0; i < size; i++) {
            ChatApp a = chats[i];
            failures.addAll(a.violations.stream().map(v -> "(3) " + v).toList());
            resent += a.resentCopies.get();
            for (ByteString id : a.acked) {
                acked++;
                ChatApp.Sent s = a.sent.get(id);
                ChatApp b = chats[byKey.get(s.to())];
                ChatApp.Stored st = b.stored.get(id);
                if (st == null) {
                    failures.add("(3) acknowledged message " + ChatApp.hex(id) + " lost");
                } else if (!st.text().equals(s.text()) || !st.from().equals(identity(i).peerId())) {
                    failures.add("(3) message " + ChatApp.hex(id) + " altered: " + st);
                }
            }
            for (Map.Entry<ByteString, ChatApp.Stored> e : a.stored.entrySet()) {
                ChatApp sender = chats[byKey.get(e.getValue().from())];
                ChatApp.Sent s = sender.sent.get(e.getKey());
                if (s == null || !s.text().equals(e.getValue().text())) {
                    failures.add("(3) stored message " + ChatApp.hex(e.getKey()) + " never sent");
                }
            }
        }
        // (4) each identity resolves to one key on every node.
        Map<PeerId, Set<PeerId>> keysOf = new HashMap<>();
        Map<PeerId, Integer> seenOn = new HashMap<>();
        int identities = 0;
        for (Ledger l : ledgers) {
            @SuppressWarnings("unchecked")
            Map<PeerId, IdentityEntry> ids =
                    (Map<PeerId, IdentityEntry>)
                            LedgerServices.of(l).chain().stateSnapshot().get(0);
            identities = Math.max(identities, ids.size());
            for (Map.Entry<PeerId, IdentityEntry> e : ids.entrySet()) {
                keysOf.computeIfAbsent(e.getKey(), k -> new HashSet<>())
                        .add(e.getValue().currentKeyEvent().keyId());
                seenOn.merge(e.getKey(), 1, Integer::sum);
                IdentityRecord byKeyRec =
                        l.identityByKey(e.getValue().currentKeyEvent().keyId()).orElse(null);
                if (byKeyRec == null || !byKeyRec.id().equals(e.getKey())) {
                    failures.add("(4) key index of " + e.getKey().shortId() + " inconsistent");
                }
            }
        }
        for (Map.Entry<PeerId, Set<PeerId>> e : keysOf.entrySet()) {
            if (e.getValue().size() != 1) {
                failures.add(
                        "(4) identity "
                                + e.getKey().shortId()
                                + " resolves to "
                                + e.getValue().size()
                                + " keys");
            }
            if (converged && seenOn.get(e.getKey()) != size) {
                failures.add("(4) identity " + e.getKey().shortId() + " missing on some nodes");
            }
        }
        Verdict v =
                new Verdict(
                        schedule,
                        converged,
                        convergeMillis,
                        ledgers[0].tip().height(),
                        identities,
                        sentMessages(),
                        acked,
                        resent,
                        failures);
        events.add(v.toString());
        return v;
    }

    /** Sum of a counter over all links. */
    long linkTotal(java.util.function.ToLongFunction<FaultProxy.Stats> f) {
        long n = 0;
        for (FaultProxy.Link l : links.values()) {
            n += f.applyAsLong(l.stats());
        }
        return n;
    }

    @Override
    public void close() {
        proxy.close();
        for (int i = 0; i < size; i++) {
            if (nodes[i] != null) {
                nodes[i].close();
            }
            if (ledgers[i] != null) {
                ledgers[i].close();
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Every pair of {@code n} nodes. */
    static List<int[]> fullMesh(int n) {
        List<int[]> out = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                out.add(new int[] {a, b});
            }
        }
        return out;
    }

    /** Keys of extra identities and node identities, for tests. */
    Map<PeerId, LocalIdentity> keys() {
        return keys;
    }

    /** Random source of the cluster (seeded). */
    Random random() {
        return random;
    }
}
