package io.p2pchat.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.Pow;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.testing.ChainBuilder;
import io.p2pchat.ledger.testing.TxFactory;
import io.p2pchat.proto.Block;
import io.p2pchat.proto.EndpointAddress;
import io.p2pchat.proto.RegisterOp;
import io.p2pchat.proto.RevealNameOp;
import io.p2pchat.proto.TxBody;
import io.p2pchat.proto.TxEnvelope;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One test per validation rule, each asserting its exact {@link RejectReason} (docs/ledger.md,
 * "Validation rules"), on an in-memory ledger fed by a {@link ChainBuilder}.
 */
class BlockValidationTest {
    static final NetworkParameters PARAMS =
            NetworkParameters.builder()
                    .name("validation")
                    .trivialDifficulty()
                    .nameRevealDelay(2)
                    .build();

    final SettableClock clock = new SettableClock(PARAMS.genesisTimeMillis() + 3_600_000);
    final List<Ledger> opened = new ArrayList<>();
    final LocalIdentity alice = TestIdentities.get("alice");
    final LocalIdentity bob = TestIdentities.get("bob");
    final LocalIdentity carol = TestIdentities.get("carol");

    Ledger ledger(NetworkParameters params) throws Exception {
        Ledger l = Ledger.builder(params).clock(clock).open();
        opened.add(l);
        return l;
    }

    @AfterEach
    void close() {
        opened.forEach(Ledger::close);
    }

    static BlockResult submit(Ledger l, BlockData b) throws Exception {
        return l.submitBlock(b.toProto().toByteArray()).get(30, TimeUnit.SECONDS);
    }

    static void assertRejected(Ledger l, BlockData b, RejectReason reason) throws Exception {
        BlockResult r = submit(l, b);
        assertThat(r.status()).as(r.message()).isEqualTo(BlockResult.Status.REJECTED);
        assertThat(r.reason()).as(r.message()).isEqualTo(reason);
    }

    static void assertConnected(Ledger l, BlockData b) throws Exception {
        BlockResult r = submit(l, b);
        assertThat(r.status()).as(r.message()).isEqualTo(BlockResult.Status.CONNECTED);
    }

    /** A fresh ledger and chain builder with alice registered in block "a1". */
    record Setup(Ledger ledger, ChainBuilder chain, TxFactory txs) {}

    Setup withAlice() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        assertConnected(l, c.block("a1").tx(f.register(alice)).build());
        return new Setup(l, c, f);
    }

    // ------------------------------------------------------------------ headers

    @Test
    void header_ofWrongLength_isMalformedBlock() throws Exception {
        Ledger l = ledger(PARAMS);
        byte[] bad =
                Block.newBuilder()
                        .setHeader(ByteString.copyFrom(new byte[155]))
                        .build()
                        .toByteArray();
        BlockResult r = l.submitBlock(bad).get(10, TimeUnit.SECONDS);
        assertThat(r.reason()).isEqualTo(RejectReason.MALFORMED_BLOCK);
        BlockResult garbage =
                l.submitBlock(new byte[] {(byte) 0xFF, 1, 2}).get(10, TimeUnit.SECONDS);
        assertThat(garbage.reason()).isEqualTo(RejectReason.MALFORMED_BLOCK);
    }

    @Test
    void header_withUnknownVersion_isBadVersion() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        assertRejected(l, c.block("b1").version(2).build(), RejectReason.BAD_VERSION);
    }

    @Test
    void header_ofAnotherNetwork_isWrongNetwork() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        byte[] other = NetworkParameters.builder().trivialDifficulty().build().networkId();
        assertRejected(l, c.block("b1").networkId(other).build(), RejectReason.WRONG_NETWORK);
    }

    @Test
    void header_withHashAboveTarget_isHighHash_andNotStored() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        BlockData b = c.block("b1").unsolved().build();
        assertRejected(l, b, RejectReason.HIGH_HASH);
        assertThat(l.tip().height()).isZero();
        assertThat(l.block(b.hash()).get()).isEmpty();
    }

    @Test
    void header_withEasierTargetThanRetargetRule_isBadDifficulty_evenIfHashMeetsIt()
            throws Exception {
        // max target above the initial one: a block may claim an easier target than the rule gives.
        NetworkParameters p =
                NetworkParameters.builder()
                        .name("diff")
                        .trivialDifficulty()
                        .targets(Pow.targetForExpectedHashes(16), Pow.targetForExpectedHashes(2))
                        .build();
        Ledger l = ledger(p);
        ChainBuilder c = new ChainBuilder(p);
        assertRejected(
                l, c.block("easy").target(p.maxTarget()).build(), RejectReason.BAD_DIFFICULTY);
        assertRejected(
                l,
                c.block("aboveMax").target(p.maxTarget().add(BigInteger.ONE)).build(),
                RejectReason.BAD_DIFFICULTY);
        assertConnected(l, c.block("ok").build());
    }

    @Test
    void retarget_clampBoundaries_exactValueAccepted_neighboursRejected() throws Exception {
        NetworkParameters p =
                NetworkParameters.builder()
                        .name("clamp")
                        .trivialDifficulty()
                        .targets(Pow.targetForExpectedHashes(16), Pow.targetForExpectedHashes(2))
                        .retarget(4, 4)
                        .build();
        Ledger l = ledger(p);
        ChainBuilder c = new ChainBuilder(p);
        // Blocks 1..3 one millisecond apart: far faster than 3 intervals, so the ratio clamps at
        // 1/4.
        for (BlockData b : c.chainSpaced("f", "genesis", 3, 1)) {
            assertConnected(l, b);
        }
        BigInteger expected = c.expectedTarget("f3");
        assertThat(expected)
                .isEqualTo(
                        p.initialTarget()
                                .multiply(BigInteger.valueOf(75))
                                .divide(BigInteger.valueOf(300)));
        long ts = c.header("f3").timestampMillis() + 1;
        assertRejected(
                l,
                c.block("low")
                        .on("f3")
                        .timestamp(ts)
                        .target(expected.subtract(BigInteger.ONE))
                        .build(),
                RejectReason.BAD_DIFFICULTY);
        assertRejected(
                l,
                c.block("high").on("f3").timestamp(ts).target(expected.add(BigInteger.ONE)).build(),
                RejectReason.BAD_DIFFICULTY);
        assertConnected(l, c.block("f4").on("f3").timestamp(ts).build());
        // Slow window: the ratio clamps at 4 but the target never exceeds the maximum.
        ChainBuilder s = new ChainBuilder(p);
        s.chainSpaced("s", "genesis", 3, 1_000_000);
        assertThat(s.expectedTarget("s3"))
                .isEqualTo(p.initialTarget().multiply(BigInteger.valueOf(4)).min(p.maxTarget()));
    }

    @Test
    void header_moreThanTwoHoursAhead_isTimeTooNew_temporary_andAcceptedLater() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        long limit = clock.millis() + NetworkParameters.MAX_FUTURE_DRIFT.toMillis();
        BlockData early = c.block("b1").timestamp(limit + 1).build();
        BlockResult r = submit(l, early);
        assertThat(r.reason()).isEqualTo(RejectReason.TIME_TOO_NEW);
        assertThat(r.misbehaving()).isFalse();
        clock.advance(1);
        assertConnected(l, early);
    }

    @Test
    void header_notAfterMedianTimePast_isTimeTooOld() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        for (BlockData b : c.chain("m", "genesis", 11)) {
            assertConnected(l, b);
        }
        long mtp = c.medianTimePast("m11");
        assertRejected(
                l, c.block("old").on("m11").timestamp(mtp).build(), RejectReason.TIME_TOO_OLD);
        assertConnected(l, c.block("m12").on("m11").timestamp(mtp + 1).build());
    }

    @Test
    void header_atRetargetBoundaryTooFarBeforeParent_isTimeWarp_oneMilliLaterAccepted()
            throws Exception {
        NetworkParameters p =
                NetworkParameters.builder()
                        .name("warp")
                        .trivialDifficulty()
                        .retarget(20, 4)
                        .build();
        Ledger l = ledger(p);
        ChainBuilder c = new ChainBuilder(p);
        // 18 blocks 1 s apart, then block 19 one hour later: the median stays far behind block 19.
        for (BlockData b : c.chainSpaced("w", "genesis", 18, 1000)) {
            assertConnected(l, b);
        }
        assertConnected(
                l,
                c.block("w19")
                        .on("w18")
                        .timestamp(c.header("w18").timestampMillis() + 3_600_000)
                        .build());
        long floor = c.header("w19").timestampMillis() - NetworkParameters.MAX_TIME_WARP.toMillis();
        assertThat(c.medianTimePast("w19")).isLessThan(floor - 1);
        assertRejected(
                l, c.block("warp").on("w19").timestamp(floor - 1).build(), RejectReason.TIME_WARP);
        assertConnected(l, c.block("w20").on("w19").timestamp(floor).build());
    }

    @Test
    void header_withWrongHeight_isBadHeight() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        assertRejected(l, c.block("b").height(2).build(), RejectReason.BAD_HEIGHT);
    }

    @Test
    void block_onInvalidParent_isBadPrevious() throws Exception {
        Setup s = withAlice();
        // b2 carries an update signed by the wrong key: stored, then fails full validation.
        LedgerTransaction forged =
                s.txs.sign(
                        s.txs.body(alice.peerId(), 1)
                                .setRevoke(io.p2pchat.proto.RevokeOp.getDefaultInstance())
                                .build()
                                .toByteArray(),
                        bob);
        assertRejected(
                s.ledger,
                s.chain.block("b2").on("a1").tx(forged).build(),
                RejectReason.BAD_RECORD_SIG);
        assertRejected(s.ledger, s.chain.block("b3").on("b2").build(), RejectReason.BAD_PREVIOUS);
    }

    @Test
    void block_withUnknownParent_isOrphan_thenConnectedWhenParentArrives() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        BlockData b1 = c.block("b1").build();
        BlockData b2 = c.block("b2").on("b1").build();
        BlockResult r = submit(l, b2);
        assertThat(r.status()).isEqualTo(BlockResult.Status.ORPHAN);
        assertThat(r.misbehaving()).isFalse();
        assertConnected(l, b1);
        assertThat(l.tip().hash()).isEqualTo(b2.hash());
    }

    @Test
    void orphanPool_isBounded() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        List<BlockData> chain = c.chain("o", "genesis", 80);
        for (int i = chain.size() - 1; i >= 1; i--) {
            assertThat(submit(l, chain.get(i)).status()).isEqualTo(BlockResult.Status.ORPHAN);
        }
        int held = l.service().call(() -> l.service().chain().orphanCount()).get();
        assertThat(held).isEqualTo(64);
        assertConnected(l, chain.get(0));
        // The oldest orphans (the 15 highest, sent first) were evicted: the chain stops below them.
        assertThat(l.tip().height()).isEqualTo(65);
    }

    @Test
    void resend_ofKnownGoodBlock_isAlreadyHave_andOfKnownBadBlock_isFastReject() throws Exception {
        Setup s = withAlice();
        assertThat(submit(s.ledger, s.chain.get("a1")).status())
                .isEqualTo(BlockResult.Status.ALREADY_HAVE);
        BlockData bad = s.chain.block("bad").on("a1").tx(s.txs.register(alice)).build();
        assertRejected(s.ledger, bad, RejectReason.DUPLICATE_IDENTITY);
        BlockResult again = submit(s.ledger, bad);
        assertThat(again.reason()).isEqualTo(RejectReason.DUPLICATE_IDENTITY);
        assertThat(again.message()).contains("known invalid");
    }

    // ------------------------------------------------------------------ body structure

    @Test
    void block_atMaxRecords_accepted_atMaxPlusOne_isTooManyRecords() throws Exception {
        NetworkParameters p =
                NetworkParameters.builder()
                        .name("count")
                        .trivialDifficulty()
                        .limits(1 << 20, 3, 8192)
                        .build();
        Ledger l = ledger(p);
        ChainBuilder c = new ChainBuilder(p);
        TxFactory f = new TxFactory(p);
        List<LedgerTransaction> four =
                List.of(
                        f.register(alice),
                        f.register(bob),
                        f.register(carol),
                        f.register(TestIdentities.get("dave")));
        assertRejected(l, c.block("x").txs(four).build(), RejectReason.TOO_MANY_RECORDS);
        assertConnected(l, c.block("ok").txs(four.subList(0, 3)).build());
    }

    @Test
    void block_atMaxBytes_accepted_atMaxPlusOne_isBlockTooLarge() throws Exception {
        List<LocalIdentity> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(TestIdentities.get("size" + i));
        }
        // Transaction sizes do not depend on the network (fixed-size ids, signatures, stamp nonce).
        TxFactory probe = new TxFactory(PARAMS);
        int exact = BlockHeader.LENGTH;
        for (LocalIdentity id : ids) {
            exact += probe.register(id).size();
        }
        NetworkParameters p =
                NetworkParameters.builder()
                        .name("bytes")
                        .trivialDifficulty()
                        .limits(exact, 1000, 2048)
                        .build();
        TxFactory f = new TxFactory(p);
        List<LedgerTransaction> regs = new ArrayList<>();
        int size = BlockHeader.LENGTH;
        for (LocalIdentity id : ids) {
            regs.add(f.register(id));
            size += regs.get(regs.size() - 1).size();
        }
        assertThat(size).isEqualTo(exact);
        Ledger l = ledger(p);
        ChainBuilder c = new ChainBuilder(p);
        assertRejected(
                l,
                c.block("over").txs(regs).rawTx(new byte[] {0}).build(),
                RejectReason.BLOCK_TOO_LARGE);
        assertConnected(l, c.block("ok").txs(regs).build());
    }

    @Test
    void record_atMaxBytes_passesSizeRule_atMaxPlusOne_isRecordTooLarge() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        assertRejected(
                l,
                c.block("big").rawTx(new byte[PARAMS.maxRecordBytes() + 1]).build(),
                RejectReason.RECORD_TOO_LARGE);
        // At exactly the limit the size rule passes and decoding fails instead.
        assertRejected(
                l,
                c.block("max").rawTx(new byte[PARAMS.maxRecordBytes()]).build(),
                RejectReason.MALFORMED_RECORD);
    }

    @Test
    void block_withWrongMerkleRoot_isBadRecordRoot_andHonestTwinAcceptedAfterwards()
            throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        BlockData honest = c.block("b1").tx(f.register(alice)).build();
        // Same header, other transactions: the root no longer matches.
        BlockData mangled = new BlockData(honest.header(), List.of(f.register(bob).bytes()));
        assertRejected(l, mangled, RejectReason.BAD_RECORD_ROOT);
        assertConnected(l, honest);
    }

    @Test
    void block_withDuplicateTransaction_isDuplicateRecord_evenWithMatchingRoot() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        LedgerTransaction r = f.register(alice);
        assertRejected(l, c.block("dup").tx(r, r).build(), RejectReason.DUPLICATE_RECORD);
        assertConnected(l, c.block("ok").tx(r).build());
    }

    @Test
    void nonCanonicalBlockContainer_doesNotChangeIdentity_andIsAccepted() throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        BlockData b = c.block("b1").tx(f.register(alice)).build();
        byte[] canonical = b.toProto().toByteArray();
        // Reordered fields (transactions before header), an unknown field, and a bloated varint
        // tag.
        com.google.protobuf.ByteString.Output out = com.google.protobuf.ByteString.newOutput();
        com.google.protobuf.CodedOutputStream cos =
                com.google.protobuf.CodedOutputStream.newInstance(out);
        cos.writeByteArray(2, b.transactions().get(0));
        cos.writeByteArray(9, new byte[] {1, 2, 3});
        cos.writeByteArray(1, b.header().encode());
        cos.flush();
        byte[] odd = out.toByteString().toByteArray();
        assertThat(odd).isNotEqualTo(canonical);
        BlockResult r = l.submitBlock(odd).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(BlockResult.Status.CONNECTED);
        assertThat(r.hash()).isEqualTo(b.hash());
        assertThat(submit(l, b).status()).isEqualTo(BlockResult.Status.ALREADY_HAVE);
    }

    // ------------------------------------------------------------------ transactions

    @Test
    void record_undecodable_orNonCanonical_isMalformedRecord() throws Exception {
        Setup s = withAlice();
        assertRejected(
                s.ledger,
                s.chain.block("g").on("a1").rawTx(new byte[] {1, 2, 3}).build(),
                RejectReason.MALFORMED_RECORD);
        LedgerTransaction good = s.txs.register(bob);
        TxEnvelope env = TxEnvelope.parseFrom(good.bytes());
        // An unknown field appended to the envelope.
        byte[] extra = Arrays.copyOf(good.bytes(), good.size() + 3);
        extra[good.size()] = (byte) 0x1A;
        extra[good.size() + 1] = 1;
        extra[good.size() + 2] = 7;
        assertThat(TxEnvelope.parseFrom(extra).getBody()).isEqualTo(env.getBody());
        assertRejected(
                s.ledger,
                s.chain.block("u").on("a1").rawTx(extra).build(),
                RejectReason.MALFORMED_RECORD);
        // A non-canonical body (an unknown field), correctly signed.
        byte[] body = env.getBody().toByteArray();
        byte[] odd = Arrays.copyOf(body, body.length + 2);
        odd[body.length] = (byte) 0x78; // field 15, varint
        odd[body.length + 1] = 1;
        assertRejected(
                s.ledger,
                s.chain.block("b").on("a1").tx(s.txs.sign(odd, bob)).build(),
                RejectReason.MALFORMED_RECORD);
    }

    @Test
    void record_ofAnotherNetwork_isWrongNetwork() throws Exception {
        Setup s = withAlice();
        NetworkParameters other =
                NetworkParameters.builder().name("other").trivialDifficulty().build();
        LedgerTransaction foreign = new TxFactory(other).register(bob);
        assertRejected(
                s.ledger,
                s.chain.block("f").on("a1").tx(foreign).build(),
                RejectReason.WRONG_NETWORK);
    }

    @Test
    void registration_signedByAnotherKey_orCorruptSignature_orPkcs1_isBadRecordSig()
            throws Exception {
        Setup s = withAlice();
        byte[] body = s.txs.registerBody(bob.peerId(), bob.subjectPublicKeyInfo(), 0);
        assertRejected(
                s.ledger,
                s.chain.block("x1").on("a1").tx(s.txs.sign(body, carol)).build(),
                RejectReason.BAD_RECORD_SIG);
        byte[] sig =
                TxEnvelope.parseFrom(s.txs.sign(body, bob).bytes()).getSignatures(0).toByteArray();
        sig[sig.length / 2] ^= 1;
        assertRejected(
                s.ledger,
                s.chain.block("x2").on("a1").tx(TxFactory.envelope(body, List.of(sig))).build(),
                RejectReason.BAD_RECORD_SIG);
        java.security.Signature pkcs1 = java.security.Signature.getInstance("SHA256withRSA");
        pkcs1.initSign(bob.privateKey());
        pkcs1.update(io.p2pchat.ledger.model.LedgerHashes.txSigningInput(body));
        assertRejected(
                s.ledger,
                s.chain
                        .block("x3")
                        .on("a1")
                        .tx(TxFactory.envelope(body, List.of(pkcs1.sign())))
                        .build(),
                RejectReason.BAD_RECORD_SIG);
        assertRejected(
                s.ledger,
                s.chain.block("x4").on("a1").tx(TxFactory.envelope(body, List.of())).build(),
                RejectReason.BAD_RECORD_SIG);
        assertConnected(s.ledger, s.chain.block("ok").on("a1").tx(s.txs.sign(body, bob)).build());
    }

    @Test
    void wycheproofInvalidPssSignatures_neverVerifyAsRecordSignatures() throws Exception {
        // Every signature in the Wycheproof PSS-2048 file marked invalid is refused by the same
        // verifier the ledger uses (RsaPss pinned to SHA-256/MGF1/32).
        String json =
                new String(
                        getClass()
                                .getResourceAsStream(
                                        "/wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json")
                                .readAllBytes(),
                        java.nio.charset.StandardCharsets.UTF_8);
        int invalid = WycheproofPss.countInvalidAccepted(json);
        assertThat(invalid).isZero();
    }

    @Test
    void registration_withKeyOutsideAllowedSizes_isBadKeySize() throws Exception {
        Setup s = withAlice();
        for (int bits : new int[] {1024, 2560}) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits, new SecureRandom());
            KeyPair kp = g.generateKeyPair();
            byte[] spki = kp.getPublic().getEncoded();
            byte[] body = s.txs.registerBody(PeerId.ofSubjectPublicKeyInfo(spki), spki, 0);
            assertRejected(
                    s.ledger,
                    s.chain
                            .block("k" + bits)
                            .on("a1")
                            .tx(s.txs.sign(body, kp.getPrivate()))
                            .build(),
                    RejectReason.BAD_KEY_SIZE);
        }
        byte[] junk = s.txs.registerBody(bob.peerId(), new byte[] {0x30, 0}, 0);
        assertRejected(
                s.ledger,
                s.chain.block("junk").on("a1").tx(s.txs.sign(junk, bob)).build(),
                RejectReason.BAD_KEY_SIZE);
    }

    @Test
    void registration_withWeakStamp_isBadStamp() throws Exception {
        Setup s = withAlice();
        TxBody.Builder b =
                s.txs.body(bob.peerId(), 0)
                        .setRegister(
                                RegisterOp.newBuilder()
                                        .setPublicKey(
                                                ByteString.copyFrom(bob.subjectPublicKeyInfo())));
        byte[] weak = s.txs.stamp(b, false);
        assertRejected(
                s.ledger,
                s.chain.block("w").on("a1").tx(s.txs.sign(weak, bob)).build(),
                RejectReason.BAD_STAMP);
    }

    @Test
    void registration_withIdNotHashOfKey_isIdKeyMismatch() throws Exception {
        Setup s = withAlice();
        byte[] body = s.txs.registerBody(carol.peerId(), bob.subjectPublicKeyInfo(), 0);
        assertRejected(
                s.ledger,
                s.chain.block("m").on("a1").tx(s.txs.sign(body, bob)).build(),
                RejectReason.ID_KEY_MISMATCH);
    }

    @Test
    void registration_withNonzeroSequence_isBadSequence() throws Exception {
        Setup s = withAlice();
        byte[] body = s.txs.registerBody(bob.peerId(), bob.subjectPublicKeyInfo(), 1);
        assertRejected(
                s.ledger,
                s.chain.block("s").on("a1").tx(s.txs.sign(body, bob)).build(),
                RejectReason.BAD_SEQUENCE);
    }

    @Test
    void registration_twice_inOneBlock_acrossBlocks_andAfterRevocation_isDuplicateIdentity()
            throws Exception {
        Setup s = withAlice();
        assertRejected(
                s.ledger,
                s.chain
                        .block("twice")
                        .on("a1")
                        .tx(s.txs.register(bob), s.txs.register(bob))
                        .build(),
                RejectReason.DUPLICATE_IDENTITY);
        assertRejected(
                s.ledger,
                s.chain.block("again").on("a1").tx(s.txs.register(alice)).build(),
                RejectReason.DUPLICATE_IDENTITY);
        assertConnected(
                s.ledger,
                s.chain.block("rev").on("a1").tx(s.txs.revoke(alice, alice.peerId(), 1)).build());
        assertRejected(
                s.ledger,
                s.chain.block("reReg").on("rev").tx(s.txs.register(alice)).build(),
                RejectReason.DUPLICATE_IDENTITY);
    }

    @Test
    void
            rotation_toKeyUsedByAnotherIdentity_isDuplicateKey_andRegistrationOfRotatedAwayKey_isDuplicateIdentity()
                    throws Exception {
        Setup s = withAlice();
        assertConnected(s.ledger, s.chain.block("b").on("a1").tx(s.txs.register(bob)).build());
        assertRejected(
                s.ledger,
                s.chain.block("r").on("b").tx(s.txs.rotate(alice, bob, alice.peerId(), 1)).build(),
                RejectReason.DUPLICATE_KEY);
        assertConnected(
                s.ledger,
                s.chain
                        .block("rot")
                        .on("b")
                        .tx(s.txs.rotate(alice, carol, alice.peerId(), 1))
                        .build());
        // carol's key now belongs to alice's identity: it cannot register on its own.
        assertRejected(
                s.ledger,
                s.chain.block("c").on("rot").tx(s.txs.register(carol)).build(),
                RejectReason.DUPLICATE_IDENTITY);
    }

    @Test
    void rotation_notSignedByOldKey_orByNewKey_isBadRecordSig() throws Exception {
        Setup s = withAlice();
        byte[] body =
                s.txs.body(alice.peerId(), 1)
                        .setRotateKey(
                                io.p2pchat.proto.RotateKeyOp.newBuilder()
                                        .setNewPublicKey(
                                                ByteString.copyFrom(carol.subjectPublicKeyInfo())))
                        .build()
                        .toByteArray();
        assertRejected(
                s.ledger,
                s.chain.block("noOld").on("a1").tx(s.txs.sign(body, bob, carol)).build(),
                RejectReason.BAD_RECORD_SIG);
        assertRejected(
                s.ledger,
                s.chain.block("noNew").on("a1").tx(s.txs.sign(body, alice, bob)).build(),
                RejectReason.BAD_RECORD_SIG);
        assertRejected(
                s.ledger,
                s.chain.block("one").on("a1").tx(s.txs.sign(body, alice)).build(),
                RejectReason.BAD_RECORD_SIG);
        assertConnected(
                s.ledger, s.chain.block("ok").on("a1").tx(s.txs.sign(body, alice, carol)).build());
        IdentityRecord r = s.ledger.identity(alice.peerId()).orElseThrow();
        assertThat(r.currentKeyId()).isEqualTo(carol.peerId());
        assertThat(r.rotatedWithContinuity()).isTrue();
        assertThat(r.keyHistory())
                .extracting(IdentityRecord.KeyRecord::keyId)
                .containsExactly(alice.peerId(), carol.peerId());
    }

    @Test
    void update_signedByWrongKey_isBadRecordSig_afterRotation_oldKeyRefused() throws Exception {
        Setup s = withAlice();
        assertRejected(
                s.ledger,
                s.chain
                        .block("w")
                        .on("a1")
                        .tx(s.txs.update(bob, alice.peerId(), 1, TxFactory.address("10.0.0.1", 1)))
                        .build(),
                RejectReason.BAD_RECORD_SIG);
        assertConnected(
                s.ledger,
                s.chain
                        .block("rot")
                        .on("a1")
                        .tx(s.txs.rotate(alice, carol, alice.peerId(), 1))
                        .build());
        assertRejected(
                s.ledger,
                s.chain
                        .block("old")
                        .on("rot")
                        .tx(
                                s.txs.update(
                                        alice, alice.peerId(), 2, TxFactory.address("10.0.0.1", 1)))
                        .build(),
                RejectReason.BAD_RECORD_SIG);
        assertConnected(
                s.ledger,
                s.chain
                        .block("new")
                        .on("rot")
                        .tx(
                                s.txs.update(
                                        carol, alice.peerId(), 2, TxFactory.address("10.0.0.1", 1)))
                        .build());
    }

    @Test
    void update_ofUnregisteredIdentity_isUnknownIdentity() throws Exception {
        Setup s = withAlice();
        assertRejected(
                s.ledger,
                s.chain
                        .block("u")
                        .on("a1")
                        .tx(s.txs.update(bob, bob.peerId(), 1, TxFactory.address("10.0.0.1", 1)))
                        .build(),
                RejectReason.UNKNOWN_IDENTITY);
    }

    @Test
    void replayedUpdate_inLaterBlock_andSequenceGap_areBadSequence() throws Exception {
        Setup s = withAlice();
        LedgerTransaction u1 =
                s.txs.update(alice, alice.peerId(), 1, TxFactory.address("10.0.0.1", 1));
        assertConnected(s.ledger, s.chain.block("u1").on("a1").tx(u1).build());
        assertRejected(
                s.ledger,
                s.chain.block("replay").on("u1").tx(u1).build(),
                RejectReason.BAD_SEQUENCE);
        assertRejected(
                s.ledger,
                s.chain
                        .block("gap")
                        .on("u1")
                        .tx(
                                s.txs.update(
                                        alice, alice.peerId(), 3, TxFactory.address("10.0.0.2", 1)))
                        .build(),
                RejectReason.BAD_SEQUENCE);
        assertRejected(
                s.ledger,
                s.chain
                        .block("zero")
                        .on("u1")
                        .tx(
                                s.txs.update(
                                        alice, alice.peerId(), 0, TxFactory.address("10.0.0.2", 1)))
                        .build(),
                RejectReason.BAD_SEQUENCE);
    }

    @Test
    void anyTransaction_afterRevocation_isIdentityRevoked() throws Exception {
        Setup s = withAlice();
        assertConnected(
                s.ledger,
                s.chain.block("rev").on("a1").tx(s.txs.revoke(alice, alice.peerId(), 1)).build());
        assertRejected(
                s.ledger,
                s.chain
                        .block("u")
                        .on("rev")
                        .tx(
                                s.txs.update(
                                        alice, alice.peerId(), 2, TxFactory.address("10.0.0.1", 1)))
                        .build(),
                RejectReason.IDENTITY_REVOKED);
        assertRejected(
                s.ledger,
                s.chain
                        .block("r")
                        .on("rev")
                        .tx(s.txs.rotate(alice, bob, alice.peerId(), 2))
                        .build(),
                RejectReason.IDENTITY_REVOKED);
        assertThat(s.ledger.identity(alice.peerId()).orElseThrow().revoked()).isTrue();
    }

    @Test
    void addresses_expired_badPort_badHost_orTooMany_areBadAddress() throws Exception {
        Setup s = withAlice();
        LedgerTransaction expired =
                s.txs.txs()
                        .updateAddresses(
                                alice,
                                alice.peerId(),
                                1,
                                List.of(
                                        new RegisteredAddress(
                                                "10.0.0.1", 1, PARAMS.genesisTimeMillis())));
        assertRejected(
                s.ledger,
                s.chain.block("e").on("a1").tx(expired).build(),
                RejectReason.BAD_ADDRESS);
        byte[] badPort =
                s.txs.body(alice.peerId(), 1)
                        .setUpdateAddresses(
                                io.p2pchat.proto.UpdateAddressesOp.newBuilder()
                                        .addAddresses(
                                                EndpointAddress.newBuilder()
                                                        .setHost("h")
                                                        .setPort(70000)
                                                        .setExpiresAt(TxFactory.FAR_FUTURE)))
                        .build()
                        .toByteArray();
        assertRejected(
                s.ledger,
                s.chain.block("p").on("a1").tx(s.txs.sign(badPort, alice)).build(),
                RejectReason.BAD_ADDRESS);
        byte[] badHost =
                s.txs.body(alice.peerId(), 1)
                        .setUpdateAddresses(
                                io.p2pchat.proto.UpdateAddressesOp.newBuilder()
                                        .addAddresses(
                                                EndpointAddress.newBuilder()
                                                        .setHost("a b")
                                                        .setPort(7)
                                                        .setExpiresAt(TxFactory.FAR_FUTURE)))
                        .build()
                        .toByteArray();
        assertRejected(
                s.ledger,
                s.chain.block("h").on("a1").tx(s.txs.sign(badHost, alice)).build(),
                RejectReason.BAD_ADDRESS);
        io.p2pchat.proto.UpdateAddressesOp.Builder nine =
                io.p2pchat.proto.UpdateAddressesOp.newBuilder();
        for (int i = 0; i < 9; i++) {
            nine.addAddresses(
                    EndpointAddress.newBuilder()
                            .setHost("10.0.0." + i)
                            .setPort(7)
                            .setExpiresAt(TxFactory.FAR_FUTURE));
        }
        assertRejected(
                s.ledger,
                s.chain
                        .block("n")
                        .on("a1")
                        .tx(
                                s.txs.sign(
                                        s.txs.body(alice.peerId(), 1)
                                                .setUpdateAddresses(nine)
                                                .build()
                                                .toByteArray(),
                                        alice))
                        .build(),
                RejectReason.BAD_ADDRESS);
    }

    // ------------------------------------------------------------------ names

    Setup withCommittedNames(NameCommitment aliceName, NameCommitment bobName) throws Exception {
        Ledger l = ledger(PARAMS);
        ChainBuilder c = new ChainBuilder(PARAMS);
        TxFactory f = new TxFactory(PARAMS);
        assertConnected(
                l,
                c.block("a1").tx(f.register(alice, aliceName), f.register(bob, bobName)).build());
        return new Setup(l, c, f);
    }

    @Test
    void reveal_beforeDelay_isNameTooEarly_atDelayAccepted() throws Exception {
        NameCommitment n = NameCommitment.create("alice", new SecureRandom());
        Setup s = withCommittedNames(n, NameCommitment.create("bob", new SecureRandom()));
        LedgerTransaction reveal = s.txs.txs().revealName(alice, alice.peerId(), 1, n);
        // committed at height 1, delay 2: height 2 too early, height 3 fine.
        assertRejected(
                s.ledger,
                s.chain.block("early").on("a1").tx(reveal).build(),
                RejectReason.NAME_TOO_EARLY);
        assertConnected(s.ledger, s.chain.block("a2").on("a1").build());
        assertConnected(s.ledger, s.chain.block("a3").on("a2").tx(reveal).build());
        assertThat(s.ledger.identityByName("alice").orElseThrow().id()).isEqualTo(alice.peerId());
    }

    @Test
    void reveal_ofNameTakenEarlierInChainOrder_isDuplicateName() throws Exception {
        NameCommitment a = NameCommitment.create("sam", new SecureRandom());
        NameCommitment b = NameCommitment.create("sam", new SecureRandom());
        Setup s = withCommittedNames(a, b);
        s.chain.chain("e", "a1", 2).forEach(x -> {});
        assertConnected(s.ledger, s.chain.get("e1"));
        assertConnected(s.ledger, s.chain.get("e2"));
        LedgerTransaction ra = s.txs.txs().revealName(alice, alice.peerId(), 1, a);
        LedgerTransaction rb = s.txs.txs().revealName(bob, bob.peerId(), 1, b);
        // Both in one block: the second in block order loses, and the block is invalid.
        assertRejected(
                s.ledger,
                s.chain.block("both").on("e2").tx(ra, rb).build(),
                RejectReason.DUPLICATE_NAME);
        assertConnected(s.ledger, s.chain.block("first").on("e2").tx(rb).build());
        assertRejected(
                s.ledger,
                s.chain.block("second").on("first").tx(ra).build(),
                RejectReason.DUPLICATE_NAME);
        assertThat(s.ledger.identityByName("sam").orElseThrow().id()).isEqualTo(bob.peerId());
    }

    @Test
    void reveal_withoutMatchingCommitment_isNameNotCommitted() throws Exception {
        Setup s = withAlice();
        s.chain.chain("e", "a1", 2);
        assertConnected(s.ledger, s.chain.get("e1"));
        assertConnected(s.ledger, s.chain.get("e2"));
        NameCommitment n = NameCommitment.create("alice", new SecureRandom());
        assertRejected(
                s.ledger,
                s.chain
                        .block("x")
                        .on("e2")
                        .tx(s.txs.txs().revealName(alice, alice.peerId(), 1, n))
                        .build(),
                RejectReason.NAME_NOT_COMMITTED);
        // A commitment made for another identity does not open for this one.
        assertConnected(
                s.ledger,
                s.chain
                        .block("c")
                        .on("e2")
                        .tx(s.txs.txs().commitName(alice, alice.peerId(), 1, n))
                        .build());
        s.chain.chain("f", "c", 2);
        assertConnected(s.ledger, s.chain.get("f1"));
        assertConnected(s.ledger, s.chain.get("f2"));
        NameCommitment wrongSalt = NameCommitment.of("alice", new byte[32]);
        assertRejected(
                s.ledger,
                s.chain
                        .block("y")
                        .on("f2")
                        .tx(s.txs.txs().revealName(alice, alice.peerId(), 2, wrongSalt))
                        .build(),
                RejectReason.NAME_NOT_COMMITTED);
        assertConnected(
                s.ledger,
                s.chain
                        .block("z")
                        .on("f2")
                        .tx(s.txs.txs().revealName(alice, alice.peerId(), 2, n))
                        .build());
    }

    @Test
    void name_withBadSyntax_isBadName_32CharsOk() throws Exception {
        Setup s = withAlice();
        byte[] body =
                s.txs.body(alice.peerId(), 1)
                        .setRevealName(
                                RevealNameOp.newBuilder()
                                        .setName("a".repeat(33))
                                        .setSalt(ByteString.copyFrom(new byte[32])))
                        .build()
                        .toByteArray();
        assertRejected(
                s.ledger,
                s.chain.block("long").on("a1").tx(s.txs.sign(body, alice)).build(),
                RejectReason.BAD_NAME);
        byte[] upper =
                s.txs.body(alice.peerId(), 1)
                        .setRevealName(
                                RevealNameOp.newBuilder()
                                        .setName("Alice")
                                        .setSalt(ByteString.copyFrom(new byte[32])))
                        .build()
                        .toByteArray();
        assertRejected(
                s.ledger,
                s.chain.block("upper").on("a1").tx(s.txs.sign(upper, alice)).build(),
                RejectReason.BAD_NAME);
        // 32 characters pass the syntax rule (and fail later for the missing commitment).
        byte[] max =
                s.txs.body(alice.peerId(), 1)
                        .setRevealName(
                                RevealNameOp.newBuilder()
                                        .setName("a".repeat(32))
                                        .setSalt(ByteString.copyFrom(new byte[32])))
                        .build()
                        .toByteArray();
        assertRejected(
                s.ledger,
                s.chain.block("max").on("a1").tx(s.txs.sign(max, alice)).build(),
                RejectReason.NAME_NOT_COMMITTED);
    }

    @Test
    void secondName_forOneIdentity_isNameAlreadySet() throws Exception {
        NameCommitment n = NameCommitment.create("alice", new SecureRandom());
        Setup s = withCommittedNames(n, NameCommitment.create("bob", new SecureRandom()));
        s.chain.chain("e", "a1", 2);
        assertConnected(s.ledger, s.chain.get("e1"));
        assertConnected(s.ledger, s.chain.get("e2"));
        assertConnected(
                s.ledger,
                s.chain
                        .block("rv")
                        .on("e2")
                        .tx(s.txs.txs().revealName(alice, alice.peerId(), 1, n))
                        .build());
        NameCommitment other = NameCommitment.create("alice2", new SecureRandom());
        assertRejected(
                s.ledger,
                s.chain
                        .block("c2")
                        .on("rv")
                        .tx(s.txs.txs().commitName(alice, alice.peerId(), 2, other))
                        .build(),
                RejectReason.NAME_ALREADY_SET);
    }

    @Test
    void transactionsInOneBlock_applyInBlockOrder() throws Exception {
        Setup s = withAlice();
        LedgerTransaction u1 =
                s.txs.update(alice, alice.peerId(), 1, TxFactory.address("10.0.0.1", 1));
        LedgerTransaction u2 =
                s.txs.update(alice, alice.peerId(), 2, TxFactory.address("10.0.0.2", 2));
        assertRejected(
                s.ledger,
                s.chain.block("rev").on("a1").tx(u2, u1).build(),
                RejectReason.BAD_SEQUENCE);
        assertConnected(s.ledger, s.chain.block("ok").on("a1").tx(u1, u2).build());
        assertThat(s.ledger.identity(alice.peerId()).orElseThrow().addresses())
                .extracting(RegisteredAddress::host)
                .containsExactly("10.0.0.2");
    }

    /** ledger.md §4.2: an operation without fields is still encoded, as a field of length 0. */
    @Test
    void emptyOperation_isStillEncoded() throws Exception {
        TxFactory f = new TxFactory(PARAMS);
        LedgerTransaction revoke = f.revoke(alice, alice.peerId(), 2);
        byte[] body = TxEnvelope.parseFrom(revoke.bytes()).getBody().toByteArray();
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        expected.write(new byte[] {0x0A, 0x20});
        expected.write(PARAMS.networkId());
        expected.write(new byte[] {0x12, 0x20});
        expected.write(alice.peerId().toBytes());
        expected.write(new byte[] {0x18, 0x02, 0x3A, 0x00});
        assertThat(body).hasSize(72).isEqualTo(expected.toByteArray());
        // Without the empty operation the body has no operation at all.
        byte[] none = Arrays.copyOf(body, body.length - 2);
        Setup s = withAlice();
        BlockResult r =
                submit(s.ledger, s.chain.block("x").on("a1").tx(s.txs.sign(none, alice)).build());
        assertThat(r.reason()).isEqualTo(RejectReason.MALFORMED_RECORD);
        assertThat(r.message()).contains("no operation");
    }

    /** Decodes a transaction to check the helper's output is canonical. */
    @Test
    void identityTransactions_areCanonical() throws Exception {
        TxFactory f = new TxFactory(PARAMS);
        for (LedgerTransaction t :
                List.of(
                        f.register(alice),
                        f.rotate(alice, bob, alice.peerId(), 1),
                        f.revoke(alice, alice.peerId(), 2))) {
            assertThat(Tx.decode(t.bytes(), PARAMS).envelope()).isEqualTo(t.bytes());
        }
    }
}
