package io.p2pchat.ledger;

import static io.p2pchat.ledger.BlockValidationTest.assertConnected;
import static io.p2pchat.ledger.BlockValidationTest.submit;
import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerListener;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.TipChangeEvent;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fork choice and reorganizations (ATTACKS L-08, L-09, L-18). */
class ForkChoiceTest {
    static final NetworkParameters PARAMS = BlockValidationTest.PARAMS;

    final SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);
    final List<Ledger> opened = new ArrayList<>();
    final LocalIdentity alice = TestIdentities.get("alice");
    final LocalIdentity bob = TestIdentities.get("bob");
    final LocalIdentity carol = TestIdentities.get("carol");
    final LocalIdentity dave = TestIdentities.get("dave");
    final LocalIdentity erin = TestIdentities.get("erin");

    Ledger ledger(NetworkParameters params) throws Exception {
        Ledger l = Ledger.builder(params).clock(clock).open();
        opened.add(l);
        return l;
    }

    @AfterEach
    void close() {
        opened.forEach(Ledger::close);
    }

    static void submitAll(Ledger l, List<BlockData> blocks) throws Exception {
        for (BlockData b : blocks) {
            BlockResult r = submit(l, b);
            assertThat(r.status())
                    .as(r.message())
                    .isIn(BlockResult.Status.CONNECTED, BlockResult.Status.STORED);
        }
    }

    @Test
    void equalWork_firstSeenStays_thenMoreWorkReorgs() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        BlockData a1 = c.block("a1").build();
        BlockData b1 = c.block("b1").timestamp(a1.header().timestampMillis() + 1).build();
        assertConnected(l, a1);
        assertThat(submit(l, b1).status()).isEqualTo(BlockResult.Status.STORED);
        assertThat(l.tip().hash()).isEqualTo(a1.hash());
        assertConnected(l, c.block("b2").on("b1").build());
        assertThat(l.tip().hash()).isEqualTo(c.get("b2").hash());
    }

    @Test
    void moreWork_reorgs_andReorgBack() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        submitAll(l, c.chain("a", "genesis", 3));
        submitAll(l, c.chainSpaced("b", "genesis", 4, 7));
        assertThat(l.tip().hash()).isEqualTo(c.get("b4").hash());
        List<TipChangeEvent> events = new ArrayList<>();
        l.addListener(
                new LedgerListener() {
                    @Override
                    public void onTipChanged(TipChangeEvent event) {
                        events.add(event);
                    }
                });
        submitAll(l, List.of(c.block("a4").on("a3").build(), c.block("a5").on("a4").build()));
        assertThat(l.tip().hash()).isEqualTo(c.get("a5").hash());
        assertThat(events).hasSize(1);
        assertThat(events.get(0).disconnected()).hasSize(4);
        assertThat(events.get(0).connected()).hasSize(5);
        assertThat(l.verifyFully().get()).isEqualTo(5);
    }

    @Test
    void shorterChainWithMoreWork_wins() throws Exception {
        NetworkParameters p =
                NetworkParameters.builder()
                        .name("heavy")
                        .trivialDifficulty()
                        .retarget(4, 4)
                        .build();
        Ledger l = ledger(p);
        ChainBuilder c = new ChainBuilder(p);
        // A: 10 blocks at the target interval, so the target never changes: 10 units of work.
        submitAll(l, c.chain("a", "genesis", 10));
        // B: 6 blocks 1 ms apart; from height 4 the target is 4 times harder: 3 + 3 x 4 = 15 units.
        List<BlockData> b = c.chainSpaced("b", "genesis", 6, 1);
        assertThat(b.get(3).header().work())
                .isEqualTo(b.get(0).header().work().multiply(java.math.BigInteger.valueOf(4)));
        submitAll(l, b);
        assertThat(l.tip().height()).isEqualTo(6);
        assertThat(l.tip().hash()).isEqualTo(c.get("b6").hash());
    }

    @Test
    void invalidBlockInsideLongerFork_keepsValidChain_andMarksTheRestInvalid() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        submitAll(l, c.chain("a", "genesis", 5));
        c.block("b1")
                .tx(f.register(alice))
                .timestamp(c.header("genesis").timestampMillis() + 3)
                .build();
        c.chain("b", "b1", 0);
        c.block("b2").on("b1").build();
        c.block("b3").on("b2").build();
        // Stateless rules pass (an update's signature depends on the state); full validation fails.
        c.block("b4")
                .on("b3")
                .tx(f.update(bob, alice.peerId(), 1, TxFactory.address("10.0.0.1", 1)))
                .build();
        c.block("b5").on("b4").build();
        c.block("b6").on("b5").build();
        for (String n : List.of("b1", "b2", "b3", "b4", "b5")) {
            assertThat(submit(l, c.get(n)).status()).isEqualTo(BlockResult.Status.STORED);
        }
        BlockResult r6 = submit(l, c.get("b6"));
        assertThat(r6.status()).isEqualTo(BlockResult.Status.REJECTED);
        assertThat(r6.reason()).isEqualTo(RejectReason.BAD_PREVIOUS);
        assertThat(l.tip().hash()).isEqualTo(c.get("a5").hash());
        BlockResult r7 = submit(l, c.block("b7").on("b6").build());
        assertThat(r7.reason()).isEqualTo(RejectReason.BAD_PREVIOUS);
        assertThat(l.identity(alice.peerId())).isEmpty();
    }

    @Test
    void reorgOf200Blocks_rollsIdentityStateBack_andLosersTransactionsReturnToMempool()
            throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        LedgerTransaction regAlice = f.register(alice);
        LedgerTransaction regBob = f.register(bob);
        LedgerTransaction regCarol = f.register(carol);
        LedgerTransaction rotAlice = f.rotate(alice, dave, alice.peerId(), 1);
        List<BlockData> a = new ArrayList<>();
        a.add(c.block("a1").tx(regAlice, regBob).build());
        for (int i = 2; i <= 200; i++) {
            ChainBuilder.Spec s = c.block("a" + i).on("a" + (i - 1));
            if (i == 100) {
                s.tx(regCarol);
            }
            if (i == 150) {
                s.tx(rotAlice);
            }
            a.add(s.build());
        }
        submitAll(l, a);
        assertThat(l.identity(alice.peerId()).orElseThrow().currentKeyId())
                .isEqualTo(dave.peerId());
        LedgerTransaction regErin = f.register(erin);
        List<BlockData> b = new ArrayList<>();
        b.add(
                c.block("b1")
                        .tx(regAlice)
                        .timestamp(c.header("genesis").timestampMillis() + 1)
                        .build());
        for (int i = 2; i <= 201; i++) {
            ChainBuilder.Spec s = c.block("b" + i).on("b" + (i - 1));
            if (i == 50) {
                s.tx(regErin);
            }
            b.add(s.build());
        }
        submitAll(l, b);
        assertThat(l.tip().hash()).isEqualTo(c.get("b201").hash());
        IdentityRecord ra = l.identity(alice.peerId()).orElseThrow();
        assertThat(ra.currentKeyId()).isEqualTo(alice.peerId());
        assertThat(l.identity(bob.peerId())).isEmpty();
        assertThat(l.identity(carol.peerId())).isEmpty();
        assertThat(l.identity(erin.peerId())).isPresent();
        assertThat(l.identityByKey(dave.peerId())).isEmpty();
        // bob, carol and the rotation do not conflict with B: back to the mempool, in chain order.
        assertThat(l.mempool().get()).containsExactly(regBob, regCarol, rotAlice);
        assertThat(l.verifyFully().get()).isEqualTo(201);
        // And back again: A grows heavier.
        List<BlockData> more = c.chain("x", "a200", 3);
        submitAll(l, more);
        assertThat(l.tip().hash()).isEqualTo(c.get("x3").hash());
        assertThat(l.identity(alice.peerId()).orElseThrow().currentKeyId())
                .isEqualTo(dave.peerId());
        assertThat(l.identity(erin.peerId())).isEmpty();
        assertThat(l.mempool().get()).containsExactly(regErin);
        assertThat(l.verifyFully().get()).isEqualTo(203);
    }

    @Test
    void conflictingRotationsOnTwoForks_resolveToWinner_andConflictingLoserIsNotRequeued()
            throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        submitAll(l, List.of(c.block("r").tx(f.register(alice)).build()));
        LedgerTransaction toCarol = f.rotate(alice, carol, alice.peerId(), 1);
        LedgerTransaction toDave = f.rotate(alice, dave, alice.peerId(), 1);
        LedgerTransaction regBob = f.register(bob);
        submitAll(
                l,
                List.of(
                        c.block("a1").on("r").tx(toCarol, regBob).build(),
                        c.block("a2").on("a1").build()));
        assertThat(l.identity(alice.peerId()).orElseThrow().currentKeyId())
                .isEqualTo(carol.peerId());
        submitAll(l, c.chainSpaced("b", "r", 1, 3));
        submitAll(
                l,
                List.of(c.block("b2").on("b1").tx(toDave).build(), c.block("b3").on("b2").build()));
        assertThat(l.tip().hash()).isEqualTo(c.get("b3").hash());
        assertThat(l.identity(alice.peerId()).orElseThrow().currentKeyId())
                .isEqualTo(dave.peerId());
        assertThat(l.identityByKey(carol.peerId())).isEmpty();
        assertThat(l.mempool().get()).containsExactly(regBob);
        assertThat(l.verifyFully().get()).isEqualTo(4);
    }

    @Test
    void randomTreesInRandomOrders_reachTheSameTipAndState() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 5; round++) {
            ChainBuilder c = new ChainBuilder(PARAMS);
            TxFactory f = new TxFactory(PARAMS);
            List<LocalIdentity> unused = new ArrayList<>(List.of(alice, bob, carol, dave, erin));
            List<String> names = new ArrayList<>(List.of("genesis"));
            List<BlockData> all = new ArrayList<>();
            Map<String, Integer> depth = new HashMap<>(Map.of("genesis", 0));
            for (int i = 0; i < 30; i++) {
                String parent = names.get(random.nextInt(names.size()));
                String name = "n" + round + "_" + i;
                ChainBuilder.Spec s =
                        c.block(name)
                                .on(parent)
                                .timestamp(
                                        c.header(parent).timestampMillis()
                                                + 1
                                                + random.nextInt(50));
                if (random.nextInt(3) == 0 && unused.size() > 0) {
                    s.tx(f.register(unused.remove(0)));
                }
                all.add(s.build());
                names.add(name);
                depth.put(name, depth.get(parent) + 1);
            }
            // A unique deepest branch so that no tie decides.
            String deepest =
                    names.stream().max((x, y) -> depth.get(x) - depth.get(y)).orElseThrow();
            all.addAll(c.chain("top" + round, deepest, 2));
            BlockHash expectedTip = null;
            List<Map<?, ?>> expectedState = null;
            for (int order = 0; order < 4; order++) {
                List<BlockData> shuffled = new ArrayList<>(all);
                Collections.shuffle(shuffled, random);
                shuffled.add(shuffled.get(random.nextInt(shuffled.size())));
                Ledger l = ledger(PARAMS);
                for (BlockData b : shuffled) {
                    l.submitBlock(b.toProto().toByteArray()).get(10, TimeUnit.SECONDS);
                }
                // Blocks orphaned beyond the pool or rejected for duplicate registrations are
                // resent.
                for (BlockData b : all) {
                    l.submitBlock(b.toProto().toByteArray()).get(10, TimeUnit.SECONDS);
                }
                List<Map<?, ?>> state = l.service().chain().stateSnapshot();
                if (expectedTip == null) {
                    expectedTip = l.tip().hash();
                    expectedState = state;
                } else {
                    assertThat(l.tip().hash()).isEqualTo(expectedTip);
                    assertThat(state).isEqualTo(expectedState);
                }
                l.verifyFully().get();
                l.close();
                opened.remove(l);
            }
        }
    }

    /**
     * L-18 against a reference model: random block trees in which some blocks register an identity
     * that an ancestor already registered (invalid, with all their descendants) and others register
     * one that only another branch has; delivered in random orders with duplicates. The tip and
     * identity index equal those of a model that knows nothing but "valid = no identity registered
     * twice on the path; best = most work".
     */
    @Test
    void randomTreesWithConflicts_matchReferenceModel_inAnyDeliveryOrder() throws Exception {
        Random random = new Random(18);
        io.p2pchat.ledger.testing.CheapIdentities cheap =
                new io.p2pchat.ledger.testing.CheapIdentities();
        List<LocalIdentity> pool = cheap.next(6);
        TxFactory f = new TxFactory(PARAMS);
        Map<LocalIdentity, LedgerTransaction> reg = new HashMap<>();
        for (LocalIdentity id : pool) {
            reg.put(id, f.register(id));
        }
        for (int round = 0; round < 4; round++) {
            ChainBuilder c = new ChainBuilder(PARAMS);
            List<String> names = new ArrayList<>(List.of("genesis"));
            Map<String, String> parentOf = new HashMap<>();
            Map<String, List<LocalIdentity>> regsOf = new HashMap<>();
            List<BlockData> all = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String parent = names.get(random.nextInt(names.size()));
                String name = "r" + round + "_" + i;
                List<LocalIdentity> regs = new ArrayList<>();
                if (random.nextInt(2) == 0) {
                    regs.add(pool.get(random.nextInt(pool.size())));
                }
                ChainBuilder.Spec s =
                        c.block(name)
                                .on(parent)
                                .timestamp(c.header(parent).timestampMillis() + 100 + i);
                for (LocalIdentity id : regs) {
                    s.tx(reg.get(id));
                }
                all.add(s.build());
                names.add(name);
                parentOf.put(name, parent);
                regsOf.put(name, regs);
            }
            // The model: validity and work of each block from its path alone.
            Map<String, Boolean> valid = new HashMap<>(Map.of("genesis", true));
            Map<String, java.math.BigInteger> work = new HashMap<>();
            work.put("genesis", java.math.BigInteger.ZERO);
            Map<String, java.util.Set<LocalIdentity>> registered = new HashMap<>();
            registered.put("genesis", java.util.Set.of());
            for (String n : names.subList(1, names.size())) {
                String p = parentOf.get(n);
                java.util.Set<LocalIdentity> r = new java.util.HashSet<>(registered.get(p));
                boolean ok = valid.get(p);
                for (LocalIdentity id : regsOf.get(n)) {
                    ok &= r.add(id);
                }
                valid.put(n, ok);
                registered.put(n, r);
                work.put(n, work.get(p).add(c.header(n).work()));
            }
            String best =
                    names.stream()
                            .filter(valid::get)
                            .max(java.util.Comparator.comparing(work::get))
                            .orElseThrow();
            // A unique heaviest branch, so that no tie (first seen) decides.
            all.addAll(c.chain("top" + round, best, 2));
            BlockHash expectedTip = c.get("top" + round + "2").hash();
            java.util.Set<LocalIdentity> expectedIds = registered.get(best);
            for (int order = 0; order < 3; order++) {
                List<BlockData> shuffled = new ArrayList<>(all);
                Collections.shuffle(shuffled, random);
                for (int d = 0; d < 5; d++) {
                    shuffled.add(
                            random.nextInt(shuffled.size()),
                            shuffled.get(random.nextInt(shuffled.size())));
                }
                Ledger l = ledger(PARAMS);
                for (BlockData b : shuffled) {
                    l.submitBlock(b.toProto().toByteArray()).get(10, TimeUnit.SECONDS);
                }
                for (BlockData b : all) {
                    l.submitBlock(b.toProto().toByteArray()).get(10, TimeUnit.SECONDS);
                }
                assertThat(l.tip().hash())
                        .as("round %d order %d", round, order)
                        .isEqualTo(expectedTip);
                assertThat(l.identityCount()).isEqualTo(expectedIds.size());
                for (LocalIdentity id : pool) {
                    assertThat(l.identity(id.peerId()).isPresent())
                            .as("identity %s", id.peerId().shortId())
                            .isEqualTo(expectedIds.contains(id));
                }
                l.verifyFully().get();
                l.close();
                opened.remove(l);
            }
        }
    }
}
