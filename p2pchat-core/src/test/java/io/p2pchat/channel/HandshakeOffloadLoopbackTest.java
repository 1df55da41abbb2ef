package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.LoopbackPair;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which handshake steps leave the event loop, over real sockets on 127.0.0.1: only those that may
 * take milliseconds or block (an RSA identity-key signature, a verifier or certificate source not
 * declared non-blocking, or every step with {@code offloadAllHandshakeWork}). Both contexts share
 * one counting crypto executor, so each connection's hand-offs are counted exactly.
 */
class HandshakeOffloadLoopbackTest {
    private static final String CRYPTO_THREAD = "offload-test-crypto";

    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService pool =
            Executors.newFixedThreadPool(
                    2, r -> new Thread(r, CRYPTO_THREAD + "-" + threads.incrementAndGet()));
    private final AtomicInteger tasks = new AtomicInteger();
    private final Queue<String> verifierThreads = new ConcurrentLinkedQueue<>();

    @AfterEach
    void shutDown() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Accepts everyone and records the thread it ran on. */
    private PeerVerifier recordingVerifier(boolean nonBlocking) {
        return new PeerVerifier() {
            @Override
            public void verify(PeerCredentials peer) {
                verifierThreads.add(Thread.currentThread().getName());
            }

            @Override
            public boolean isNonBlocking() {
                return nonBlocking;
            }
        };
    }

    /**
     * Alice's and Bob's contexts on the counting executor, with the recording verifier and {@code
     * customize} applied to both.
     */
    private SecureChannelContext[] contexts(
            boolean nonBlockingVerifier, UnaryOperator<SecureChannelContext.Builder> customize) {
        SecureChannelContext[] both = new SecureChannelContext[2];
        LocalIdentity[] ids = {ResumptionTest.ALICE, ResumptionTest.BOB};
        for (int i = 0; i < 2; i++) {
            both[i] =
                    customize
                            .apply(
                                    SecureChannelContext.builder(ids[i])
                                            .peerVerifier(recordingVerifier(nonBlockingVerifier))
                                            .networkId(ResumptionTest.NETWORK)
                                            .cryptoExecutor(
                                                    task -> {
                                                        tasks.incrementAndGet();
                                                        pool.execute(task);
                                                    }))
                            .build();
        }
        return both;
    }

    /**
     * Connects {@code count} times, one after the other, and returns the crypto-executor tasks each
     * connection cost; asserts which connections resumed.
     */
    private int[] tasksPerConnection(SecureChannelContext[] contexts, int count, boolean resumes)
            throws Exception {
        SecureChannelContext ci = contexts[0];
        SecureChannelContext cr = contexts[1];
        int[] perConnection = new int[count];
        LoopbackPair.Recorder[] responderApp = new LoopbackPair.Recorder[1];
        try (LoopbackPair pair =
                new LoopbackPair(
                        cr,
                        () -> {
                            responderApp[0] = new LoopbackPair.Recorder();
                            return responderApp[0];
                        })) {
            for (int n = 0; n < count; n++) {
                int before = tasks.get();
                LoopbackPair.Recorder app = new LoopbackPair.Recorder();
                Channel ch = pair.connect(ci, app);
                SecureSession is = session(app);
                SecureSession rs = session(responderApp[0]);
                assertThat(is.resumed()).isEqualTo(resumes && n > 0);
                assertThat(rs.resumed()).isEqualTo(resumes && n > 0);
                if (resumes) {
                    ResumptionTest.awaitTicketFromBob(ci);
                }
                ch.close().sync();
                perConnection[n] = tasks.get() - before;
            }
        }
        return perConnection;
    }

    private static SecureSession session(LoopbackPair.Recorder app) throws Exception {
        Object event = app.events.poll(20, TimeUnit.SECONDS);
        assertThat(event).isInstanceOf(HandshakeCompletionEvent.class);
        return ((HandshakeCompletionEvent) event).session().orElseThrow();
    }

    @Test
    void nonBlockingVerifier_fullAndResumedHandshakes_neverLeaveTheEventLoop() throws Exception {
        SecureChannelContext[] contexts = contexts(true, b -> b);

        // First a full handshake signed with delegated credentials (Ed25519), then two resumed.
        int[] perConnection = tasksPerConnection(contexts, 3, true);

        assertThat(perConnection).containsExactly(0, 0, 0);
        assertThat(verifierThreads).hasSize(6).noneMatch(t -> t.startsWith(CRYPTO_THREAD));
    }

    @Test
    void blockingVerifier_isCalledOnTheCryptoExecutorOnly() throws Exception {
        SecureChannelContext[] contexts = contexts(false, b -> b);

        int[] perConnection = tasksPerConnection(contexts, 2, true);

        // Each side's verifier step goes to the executor; key agreement stays on the loop.
        assertThat(perConnection).containsExactly(2, 2);
        assertThat(verifierThreads).hasSize(4).allMatch(t -> t.startsWith(CRYPTO_THREAD));
    }

    @Test
    void rsaSignedHandshake_signsOnTheCryptoExecutor() throws Exception {
        SecureChannelContext[] contexts =
                contexts(true, b -> b.delegatedCredentials(false).resumption(false));

        int[] perConnection = tasksPerConnection(contexts, 2, false);

        // The responder's flight (agreement + RSA signature) and the initiator's last flight
        // (verification + RSA signature); the responder's final verification stays on the loop.
        assertThat(perConnection).containsExactly(2, 2);
        assertThat(verifierThreads.stream().filter(t -> t.startsWith(CRYPTO_THREAD)).count())
                .isEqualTo(2);
    }

    @Test
    void blockingCertificateSource_isCalledOnTheCryptoExecutorOnly() throws Exception {
        Queue<String> sourceThreads = new ConcurrentLinkedQueue<>();
        CertificateSource source =
                () -> {
                    sourceThreads.add(Thread.currentThread().getName());
                    return new byte[0];
                };
        SecureChannelContext[] contexts = contexts(true, b -> b.certificateSource(source));

        int[] perConnection = tasksPerConnection(contexts, 2, true);

        // A full handshake builds both AuthMessages on the executor; a resumed one presents no
        // certificate, so nothing leaves the loop.
        assertThat(perConnection).containsExactly(2, 0);
        assertThat(sourceThreads).hasSize(2).allMatch(t -> t.startsWith(CRYPTO_THREAD));
    }

    @Test
    void certificateSourceWithItsCertificateAtHand_isNeverAskedToBuildIt() throws Exception {
        AtomicInteger built = new AtomicInteger();
        Queue<String> peekThreads = new ConcurrentLinkedQueue<>();
        CertificateSource source =
                new CertificateSource() {
                    @Override
                    public byte[] currentCertificate() {
                        built.incrementAndGet();
                        return new byte[0];
                    }

                    @Override
                    public byte[] currentCertificateIfReady() {
                        peekThreads.add(Thread.currentThread().getName());
                        return new byte[0];
                    }
                };
        SecureChannelContext[] contexts = contexts(true, b -> b.certificateSource(source));

        int[] perConnection = tasksPerConnection(contexts, 2, true);

        assertThat(perConnection).containsExactly(0, 0);
        assertThat(built).hasValue(0);
        assertThat(peekThreads).hasSize(2).noneMatch(t -> t.startsWith(CRYPTO_THREAD));
    }

    @Test
    void offloadAllHandshakeWork_sendsEveryStepToTheExecutor() throws Exception {
        SecureChannelContext[] contexts = contexts(true, b -> b.offloadAllHandshakeWork(true));

        int[] perConnection = tasksPerConnection(contexts, 2, true);

        // Initiator: key shares, agreement, last flight; responder: its flight, verification.
        assertThat(perConnection).containsExactly(5, 5);
        assertThat(verifierThreads).hasSize(4).allMatch(t -> t.startsWith(CRYPTO_THREAD));
    }
}
