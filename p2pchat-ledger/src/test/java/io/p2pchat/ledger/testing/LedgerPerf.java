package io.p2pchat.ledger.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.Role;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificate;
import io.p2pchat.ledger.LedgerPeerVerifier;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.node.Node;
import io.p2pchat.testing.TestIdentities;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The ledger measurements of {@code docs/ledger.md} §14 and of the bench's ledger figures ({@code
 * docs/benchmarks.md}): fixtures and timed runs, shared by the opt-in {@code LedgerPerformanceTest}
 * and {@code p2pchat-bench}'s {@code LedgerBenchmarks} (through this module's test jar), so that
 * both measure the same thing the same way. Everything is driven through the public ledger and node
 * API ({@link Ledger#submitBlock}, {@link Node#join}, {@link LedgerPeerVerifier}); only the fixture
 * builder uses {@link ChainBuilder} to make valid blocks quickly.
 *
 * <p>No JUnit or AssertJ here: a failed expectation throws {@link IllegalStateException}.
 */
public final class LedgerPerf {
    /** The measurement network: trivial proof of work, 1 ms block interval, default rules. */
    public static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("perf")
                    .nonce(new byte[32])
                    .genesisTimeMillis(1_767_225_600_000L)
                    .trivialDifficulty()
                    .targetBlockInterval(Duration.ofMillis(1))
                    .build();

    /** Largest block of registrations the default rules allow. */
    public static final int MAX_PER_BLOCK = 1000;

    private static final byte[] CACHE_MAGIC = {'P', '2', 'P', 'R', 'E', 'G', 'S', '2'};

    private LedgerPerf() {}

    // ------------------------------------------------------------------ fixtures

    /** Signs registrations for {@code ids} on every core. */
    public static List<LedgerTransaction> registrations(List<LocalIdentity> ids) {
        TxFactory f = new TxFactory(PARAMS);
        LedgerTransaction[] out = new LedgerTransaction[ids.size()];
        IntStream.range(0, ids.size()).parallel().forEach(i -> out[i] = f.register(ids.get(i)));
        return List.of(out);
    }

    /** {@code count} registrations of fresh {@link CheapIdentities}, signed on every core. */
    public static List<LedgerTransaction> registrations(int count) {
        return registrations(new CheapIdentities().next(count));
    }

    /**
     * {@code count} registrations, read from {@code cache} and, for those it lacks, signed
     * (RSA-2048, about 1-2 ms each per core) and appended to it, so that later runs skip the
     * signing.
     */
    public static List<LedgerTransaction> cachedRegistrations(Path cache, int count)
            throws IOException {
        return cachedRegistrations(cache, count, Long.MAX_VALUE);
    }

    /**
     * As {@link #cachedRegistrations(Path, int)}, but stops signing at {@code deadlineNanos}
     * ({@link System#nanoTime()}), so the result may hold fewer than {@code count}; what was signed
     * is kept in the cache for the next run.
     */
    public static List<LedgerTransaction> cachedRegistrations(
            Path cache, int count, long deadlineNanos) throws IOException {
        List<LedgerTransaction> regs = new ArrayList<>(readCache(cache, count));
        if (regs.size() >= count) {
            return regs;
        }
        Files.createDirectories(cache.toAbsolutePath().getParent());
        if (!Files.exists(cache) || regs.isEmpty()) {
            Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp");
            Files.write(tmp, cacheHeader());
            Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING);
        }
        CheapIdentities ids = new CheapIdentities();
        while (regs.size() < count && System.nanoTime() < deadlineNanos) {
            List<LedgerTransaction> chunk =
                    registrations(ids.next(Math.min(2_000, count - regs.size())));
            try (OutputStream o = Files.newOutputStream(cache, StandardOpenOption.APPEND);
                    DataOutputStream out =
                            new DataOutputStream(new java.io.BufferedOutputStream(o, 1 << 16))) {
                for (LedgerTransaction t : chunk) {
                    byte[] b = t.bytes();
                    out.writeInt(b.length);
                    out.write(b);
                }
            }
            regs.addAll(chunk);
        }
        return regs;
    }

    private static byte[] cacheHeader() {
        byte[] h = new byte[CACHE_MAGIC.length + 32];
        System.arraycopy(CACHE_MAGIC, 0, h, 0, CACHE_MAGIC.length);
        System.arraycopy(PARAMS.networkId(), 0, h, CACHE_MAGIC.length, 32);
        return h;
    }

    /**
     * Up to {@code count} registrations from the cache: magic, network id, then (length, envelope)
     * entries to the end of the file. A cache of another network is ignored; a cut-short last entry
     * (an interrupted append) ends the list.
     */
    private static List<LedgerTransaction> readCache(Path cache, int count) throws IOException {
        List<LedgerTransaction> out = new ArrayList<>();
        if (!Files.exists(cache)) {
            return out;
        }
        try (InputStream i = Files.newInputStream(cache);
                DataInputStream in =
                        new DataInputStream(new java.io.BufferedInputStream(i, 1 << 16))) {
            if (!Arrays.equals(in.readNBytes(CACHE_MAGIC.length + 32), cacheHeader())) {
                return out;
            }
            while (out.size() < count) {
                int len = in.readInt();
                if (len < 0 || len > PARAMS.maxRecordBytes()) {
                    break;
                }
                byte[] b = in.readNBytes(len);
                if (b.length < len) {
                    break;
                }
                out.add(LedgerTransaction.of(b));
            }
        } catch (java.io.EOFException e) {
            // the end of the cache
        }
        return out;
    }

    /** Valid blocks of {@code perBlock} transactions each, chained on genesis. */
    public static List<BlockData> blocks(List<LedgerTransaction> txs, int perBlock) {
        return blocks(txs, perBlock, 0);
    }

    /**
     * Valid blocks of {@code perBlock} transactions each, chained on genesis, then {@code
     * emptyAfter} empty blocks (to confirm the last transactions).
     */
    public static List<BlockData> blocks(
            List<LedgerTransaction> txs, int perBlock, int emptyAfter) {
        ChainBuilder c = new ChainBuilder(PARAMS);
        List<BlockData> out = new ArrayList<>();
        String parent = "genesis";
        for (int i = 0; i < txs.size(); i += perBlock) {
            String name = "b" + i;
            out.add(
                    c.block(name)
                            .on(parent)
                            .txs(txs.subList(i, Math.min(txs.size(), i + perBlock)))
                            .build());
            parent = name;
        }
        if (emptyAfter > 0) {
            out.addAll(c.chain("e", parent, emptyAfter));
        }
        return out;
    }

    /** {@link #blocks} serialized as Protobuf {@code Block}s, as peers send them. */
    public static List<byte[]> serializedBlocks(List<LedgerTransaction> txs, int perBlock) {
        return serializedBlocks(txs, perBlock, 0);
    }

    /** {@link #blocks} with empty blocks after, serialized as Protobuf {@code Block}s. */
    public static List<byte[]> serializedBlocks(
            List<LedgerTransaction> txs, int perBlock, int emptyAfter) {
        List<byte[]> out = new ArrayList<>();
        for (BlockData b : blocks(txs, perBlock, emptyAfter)) {
            out.add(b.toProto().toByteArray());
        }
        return out;
    }

    /**
     * Submits {@code blocks} with {@link Ledger#submitBlock}, at most {@code window} in flight, and
     * checks each connects to the best chain.
     */
    public static void submitAll(Ledger ledger, List<byte[]> blocks, int window) throws Exception {
        ArrayDeque<CompletableFuture<BlockResult>> inFlight = new ArrayDeque<>();
        int i = 0;
        int done = 0;
        while (done < blocks.size()) {
            while (i < blocks.size() && inFlight.size() < window) {
                inFlight.add(ledger.submitBlock(blocks.get(i++)));
            }
            BlockResult r = inFlight.poll().get(10, TimeUnit.MINUTES);
            if (r.status() != BlockResult.Status.CONNECTED) {
                throw new IllegalStateException(
                        "block " + done + " not connected: " + r.status() + " " + r.message());
            }
            done++;
        }
    }

    /**
     * The data directory of a ledger holding {@code regs} in blocks of {@link #MAX_PER_BLOCK}, then
     * enough empty blocks that every registration has the network's confirmations, built in {@code
     * dir} unless a previous build completed there (a {@code COMPLETE} marker).
     *
     * @return {@code dir}
     */
    public static Path ledgerDirectory(Path dir, List<LedgerTransaction> regs) throws Exception {
        String marker = "identities=" + regs.size() + ", confirmed";
        Path complete = dir.resolve("COMPLETE");
        if (Files.exists(complete) && Files.readString(complete).equals(marker)) {
            return dir;
        }
        deleteRecursively(dir);
        Files.createDirectories(dir);
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).open()) {
            submitAll(l, serializedBlocks(regs, MAX_PER_BLOCK, PARAMS.confirmations() - 1), 4);
            if (l.identityCount() != regs.size()) {
                throw new IllegalStateException(
                        "built " + l.identityCount() + " identities, expected " + regs.size());
            }
        }
        Files.writeString(complete, marker);
        return dir;
    }

    // ------------------------------------------------------------------ measurements

    /**
     * Blocks per second through {@link Ledger#submitBlock} into a new in-memory ledger: container
     * decoding, header rules, proof of work, Merkle root, every transaction's rules and RSA
     * signature (the signature cache starts empty), state update and fork choice.
     */
    public static double blocksValidatedPerSecond(List<byte[]> blocks) throws Exception {
        try (Ledger l = Ledger.builder(PARAMS).name("perf-validate").open()) {
            long t = System.nanoTime();
            submitAll(l, blocks, 256);
            return blocks.size() / ((System.nanoTime() - t) / 1e9);
        }
    }

    /**
     * Seconds for a new node to sync {@code blocks} from another over loopback: from {@link
     * Node#join} (connect and handshake included) until both ledgers have the same tip.
     */
    public static double syncSeconds(List<byte[]> blocks, int expectedIdentities) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (Ledger la = Ledger.builder(PARAMS).name("perf-a").open();
                Ledger lb = Ledger.builder(PARAMS).name("perf-b").open()) {
            submitAll(la, blocks, 4);
            Node a =
                    Node.builder(TestIdentities.get("perf-a"), la)
                            .listen("127.0.0.1", 0)
                            .eventLoopGroup(group)
                            .discovery(false)
                            .build()
                            .start();
            Node b =
                    Node.builder(TestIdentities.get("perf-b"), lb)
                            .listen("127.0.0.2", 0)
                            .eventLoopGroup(group)
                            .discovery(false)
                            .build()
                            .start();
            try {
                var target = la.tip();
                CompletableFuture<Void> synced = new CompletableFuture<>();
                lb.addListener(
                        new io.p2pchat.ledger.model.LedgerListener() {
                            @Override
                            public void onTipChanged(io.p2pchat.ledger.model.TipChangeEvent e) {
                                if (lb.tip().equals(target)) {
                                    synced.complete(null);
                                }
                            }
                        });
                long t = System.nanoTime();
                b.join(a.localAddress()).get(30, TimeUnit.SECONDS);
                if (lb.tip().equals(target)) {
                    synced.complete(null);
                }
                try {
                    synced.get(2, TimeUnit.MINUTES);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("sync did not finish in 2 minutes", e);
                }
                double s = (System.nanoTime() - t) / 1e9;
                if (lb.identityCount() != expectedIdentities) {
                    throw new IllegalStateException(
                            "synced "
                                    + lb.identityCount()
                                    + " identities of "
                                    + expectedIdentities);
                }
                return s;
            } finally {
                a.close();
                b.close();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * What one reopen took.
     *
     * @param seconds the time {@code Ledger.builder(...).dataDirectory(dir).open()} took
     * @param snapshotHeight the height of the state snapshot it started from, 0 for a rebuild
     */
    public record Reopen(double seconds, long snapshotHeight) {}

    /**
     * Times {@code Ledger.builder(...).dataDirectory(dir).open()}; checks the identity count, then
     * closes (not timed).
     */
    public static Reopen reopen(Path dir, int expectedIdentities) throws Exception {
        long t = System.nanoTime();
        try (Ledger l = Ledger.builder(PARAMS).dataDirectory(dir).name("perf-reopen").open()) {
            double s = (System.nanoTime() - t) / 1e9;
            if (l.identityCount() != expectedIdentities) {
                throw new IllegalStateException(
                        "reopened " + l.identityCount() + " identities of " + expectedIdentities);
            }
            return new Reopen(s, l.openReport().snapshotHeight());
        }
    }

    /** {@link #reopen}'s seconds. */
    public static double reopenSeconds(Path dir, int expectedIdentities) throws Exception {
        return reopen(dir, expectedIdentities).seconds();
    }

    /**
     * Handshake-time CA checks per second on one thread: {@link LedgerPeerVerifier#verify} of
     * registered peers presenting their stapled {@link LedgerCertificate} (decode, inclusion proof,
     * identity lookup, revocation, confirmations), round-robin over the identities that {@code
     * registered} (confirmed on {@code ledger}) registered, for {@code millis}.
     */
    public static double caVerificationsPerSecond(
            Ledger ledger, List<LedgerTransaction> registered, long millis) throws Exception {
        LedgerPeerVerifier verifier = LedgerPeerVerifier.builder(ledger).build();
        List<PeerCredentials> creds = new ArrayList<>();
        KeyFactory rsa = KeyFactory.getInstance("RSA");
        InetSocketAddress remote = new InetSocketAddress("127.0.0.1", 7000);
        for (LedgerTransaction t : registered) {
            PeerId keyId = Tx.decode(t.bytes(), PARAMS).identityId();
            IdentityRecord rec = ledger.identityByKey(keyId).orElseThrow();
            byte[] cert =
                    ledger.certificate(keyId)
                            .get(1, TimeUnit.MINUTES)
                            .map(LedgerCertificate::encode)
                            .orElseThrow();
            RSAPublicKey key =
                    (RSAPublicKey) rsa.generatePublic(new X509EncodedKeySpec(rec.currentKey()));
            creds.add(
                    new PeerCredentials(
                            keyId,
                            key,
                            cert,
                            Optional.of(remote),
                            Optional.empty(),
                            Role.INITIATOR));
        }
        if (creds.isEmpty()) {
            throw new IllegalStateException("no registered identity to verify");
        }
        long n = 0;
        long t = System.nanoTime();
        long deadline = t + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (System.nanoTime() < deadline) {
                for (int k = 0; k < 64; k++) {
                    verifier.verify(creds.get((int) (n++ % creds.size())));
                }
            }
        } catch (PeerVerificationException e) {
            throw new IllegalStateException("a registered peer was refused", e);
        }
        return n / ((System.nanoTime() - t) / 1e9);
    }

    /** Deletes a directory tree, if it exists. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
