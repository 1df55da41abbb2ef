package io.p2pchat.channel;

import com.google.protobuf.MessageLite;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.p2pchat.identity.LocalIdentity;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The shared, immutable configuration of p2pchat secure channels, and the factory of their
 * handlers: what {@code SslContext} is to {@code SslHandler}.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * SecureChannelContext context = SecureChannelContext.builder(identity)
 *         .peerVerifier(PinnedKeysVerifier.of(bobId))
 *         .build();
 *
 * // In a ChannelInitializer, for either role:
 * context.addHandlers(ch.pipeline(), Role.INITIATOR);
 * ch.pipeline().addLast(new MyApplicationHandler());
 * }</pre>
 *
 * <p>{@link #addHandlers} installs, in order: a {@link FrameDecoder} (permanent), a {@link
 * HandshakeHandler} (removes itself on success) and a {@link RecordCodec} (permanent). Handlers
 * added after them see plaintext {@code ByteBuf}s, one per record, and a {@link
 * io.p2pchat.channel.HandshakeCompletionEvent} before any data.
 *
 * <h2>Defaults</h2>
 *
 * Hybrid X25519 + ML-KEM-768 key agreement with AES-128-GCM, then the other suites; 64 KiB frames;
 * 10 s handshake timeout; ratchet every 8 records; rekey every 2 minutes or 2^20 records; 15 s
 * keep-alive; 60 s idle timeout; delegated credentials on (Ed25519, 24 h); resumption on
 * (single-use tickets, 24 h). {@code docs/security.md} explains each choice.
 *
 * <h2>Threading</h2>
 *
 * Immutable and thread-safe; share one instance among all channels.
 */
public final class SecureChannelContext {
    /** Handler names used by {@link #addHandlers}. */
    public static final String FRAME_HANDLER = "p2pchat-frame";

    public static final String HANDSHAKE_HANDLER = "p2pchat-handshake";
    public static final String RECORD_HANDLER = "p2pchat-record";

    /** Default suite preference. */
    public static final List<CipherSuite> DEFAULT_SUITES =
            List.of(
                    CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256,
                    CipherSuite.X25519_MLKEM768_AES_256_GCM_SHA256,
                    CipherSuite.X25519_AES_128_GCM_SHA256,
                    CipherSuite.X25519_AES_256_GCM_SHA256);

    private final ChannelSettings settings;
    private final @Nullable ResumptionTicketStore ticketStore;

    private SecureChannelContext(
            ChannelSettings settings, @Nullable ResumptionTicketStore ticketStore) {
        this.settings = settings;
        this.ticketStore = ticketStore;
    }

    /** Starts a builder for contexts that authenticate as {@code identity}. */
    public static Builder builder(LocalIdentity identity) {
        return new Builder(identity);
    }

    /**
     * Adds the frame decoder, handshake handler and record codec for {@code role} at the end of
     * {@code pipeline}.
     */
    public void addHandlers(ChannelPipeline pipeline, Role role) {
        RecordCodec record = new RecordCodec(settings);
        pipeline.addLast(FRAME_HANDLER, new FrameDecoder(settings.maxFrameLength()));
        pipeline.addLast(HANDSHAKE_HANDLER, new HandshakeHandler(settings, role, record));
        pipeline.addLast(RECORD_HANDLER, record);
    }

    /**
     * A channel initializer that adds the secure channel handlers for {@code role}, then lets
     * {@code application} add its own.
     */
    public ChannelInitializer<Channel> initializer(
            Role role, Consumer<ChannelPipeline> application) {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(application, "application");
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                addHandlers(ch.pipeline(), role);
                application.accept(ch.pipeline());
            }
        };
    }

    /**
     * A channel initializer for applications that exchange Protobuf messages of type {@code
     * prototype}: the secure channel handlers for {@code role}, then a length-delimited Protobuf
     * decoder (messages over {@code maxMessageBytes} close the channel with {@code
     * FRAME_TOO_LARGE}) and encoder, then whatever {@code application} adds. The application's
     * handlers receive and write {@code prototype}'s message type.
     */
    public ChannelInitializer<Channel> protobufInitializer(
            Role role,
            MessageLite prototype,
            int maxMessageBytes,
            Consumer<ChannelPipeline> application) {
        Objects.requireNonNull(prototype, "prototype");
        Objects.requireNonNull(application, "application");
        return initializer(
                role,
                pipeline -> {
                    pipeline.addLast(
                            "p2pchat-protobuf-decoder",
                            new DelimitedProtobufDecoder(prototype, maxMessageBytes));
                    pipeline.addLast("p2pchat-protobuf-encoder", DelimitedProtobufEncoder.INSTANCE);
                    application.accept(pipeline);
                });
    }

    /** The identity this context authenticates as. */
    public LocalIdentity identity() {
        return settings.handshake().identity();
    }

    /** The suites offered and accepted, most preferred first. */
    public List<CipherSuite> cipherSuites() {
        return settings.handshake().suites();
    }

    /** The key rotation policy. */
    public RotationPolicy rotationPolicy() {
        return settings.rotation();
    }

    /** The largest frame accepted after the handshake. */
    public int maxFrameLength() {
        return settings.maxFrameLength();
    }

    /** The handshake timeout. */
    public Duration handshakeTimeout() {
        return settings.handshakeTimeout();
    }

    /** The settings shared by the handlers. */
    ChannelSettings settings() {
        return settings;
    }

    /** Handshakes of this context in progress right now. */
    public int activeHandshakes() {
        return settings.activeHandshakes().get();
    }

    /**
     * Moves this context's resumption tickets into its {@link Builder#resumptionTicketStore}, so
     * that the next run resumes with them (docs/protocol.md 5.11): the tickets it issued and has
     * not seen used, and those it holds with the addresses of their peers. Call it once, at a clean
     * shutdown, after the context's channels have closed; the context keeps no ticket afterwards (a
     * ticket lives in one place only, so that it stays single-use), and each call replaces what the
     * store held. Do not call it when the identity was revoked. Saves nothing without a store, with
     * resumption off, or when there is no ticket.
     *
     * @return the tickets saved
     * @throws IOException if the store fails; the tickets are wiped all the same
     */
    public int saveResumptionTickets() throws IOException {
        ResumptionTickets tickets = settings.handshake().tickets();
        if (ticketStore == null || tickets == null) {
            return 0;
        }
        return tickets.saveTo(ticketStore, identity().peerId(), settings.handshake().networkId());
    }

    /**
     * Builds {@link SecureChannelContext}s. Setters validate at once; {@link #build()} checks the
     * combination.
     */
    public static final class Builder {
        private final LocalIdentity identity;
        private PeerVerifier verifier;
        private CertificateSource certificateSource = CertificateSource.none();
        private List<CipherSuite> suites = DEFAULT_SUITES;
        private boolean requirePostQuantum;
        private boolean requireAes256;
        private byte[] networkId = new byte[0];
        private boolean acceptUnboundInitiators;
        private boolean discoverNetwork;
        private String listenAddress = "";
        private RotationPolicy rotation = RotationPolicy.DEFAULT;
        private int maxFrameLength = 65536;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration keepAliveInterval = Duration.ofSeconds(15);
        private int maxPendingWriteBytes = 1 << 20;
        private long maxOutboundBufferBytes = 64L << 20;
        private boolean recordDigest;
        private int maxConcurrentHandshakes = 256;
        private Executor cryptoExecutor;
        private boolean offloadAllHandshakeWork;
        private SecureRandom random;
        private boolean delegatedCredentials = true;
        private Duration credentialValidity = CredentialKeeper.DEFAULT_VALIDITY;
        private Clock clock = Clock.systemUTC();
        private CredentialKeeper credentialKeeper;
        private DelegatedCredentialStore credentialStore;
        private boolean resumption = true;
        private ResumptionTicketStore ticketStore;

        private Builder(LocalIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
        }

        /** Decides which authenticated peers are accepted. Required. */
        public Builder peerVerifier(PeerVerifier verifier) {
            this.verifier = Objects.requireNonNull(verifier, "verifier");
            return this;
        }

        /** Supplies the credential presented to peers (such as a ledger certificate). */
        public Builder certificateSource(CertificateSource source) {
            this.certificateSource = Objects.requireNonNull(source, "source");
            return this;
        }

        /** The suites to offer and accept, most preferred first. */
        public Builder cipherSuites(CipherSuite... suites) {
            if (suites.length == 0) {
                throw new IllegalArgumentException("suites: empty (expected: at least one)");
            }
            this.suites = List.copyOf(new LinkedHashSet<>(List.of(suites)));
            return this;
        }

        /**
         * Refuse peers that offer no hybrid post-quantum suite ({@code POLICY_PQ_REQUIRED}); only
         * hybrid suites are offered.
         */
        public Builder requirePostQuantum(boolean require) {
            this.requirePostQuantum = require;
            return this;
        }

        /**
         * Refuse peers that offer no AES-256-GCM suite ({@code POLICY_AES256_REQUIRED}); only
         * AES-256-GCM suites are offered.
         */
        public Builder requireAes256(boolean require) {
            this.requireAes256 = require;
            return this;
        }

        /**
         * Binds channels to a network (a ledger's genesis id): peers of another network are refused
         * with {@code WRONG_NETWORK}.
         */
        public Builder networkId(byte[] networkId) {
            if (networkId.length != 0 && networkId.length != HandshakeLimits.NETWORK_ID_LENGTH) {
                throw new IllegalArgumentException(
                        "networkId length: " + networkId.length + " (expected: 0 or 32)");
            }
            this.networkId = networkId.clone();
            return this;
        }

        /**
         * With a {@link #networkId} set, also accepts initiators that present an empty network id
         * (default off): unbound joiners that have not got the network parameters yet. Their
         * session's {@link SecureSession#peerNetworkId()} is empty, and the application must serve
         * them nothing but the parameters (a {@code io.p2pchat.node.Node} answers one parameter
         * request and closes). docs/protocol.md §5.9.
         */
        public Builder acceptUnboundInitiators(boolean accept) {
            this.acceptUnboundInitiators = accept;
            return this;
        }

        /**
         * For an initiator without a {@link #networkId}: accepts whatever network the responder
         * announces in its hello, and reports it as {@link SecureSession#peerNetworkId()}, so that
         * network parameters received over the channel can be checked against it (default off).
         * docs/protocol.md §5.9.
         *
         * <h4>Warning</h4>
         *
         * The announced id is authenticated by the responder's signature, but the responder is
         * whoever answered at the address dialed: compare the id with one obtained out of band when
         * it matters (docs/trust-model.md).
         */
        public Builder discoverNetwork(boolean discover) {
            this.discoverNetwork = discover;
            return this;
        }

        /** The "host:port" this peer announces when it initiates (the "connect" message). */
        public Builder listenAddress(String hostAndPort) {
            Objects.requireNonNull(hostAndPort, "hostAndPort");
            if (hostAndPort.length() > HandshakeLimits.MAX_LISTEN_ADDRESS) {
                throw new IllegalArgumentException(
                        "listenAddress length: " + hostAndPort.length() + " (expected: <= 255)");
            }
            this.listenAddress = hostAndPort;
            return this;
        }

        /** When keys change. */
        public Builder rotationPolicy(RotationPolicy policy) {
            this.rotation = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The largest frame accepted after the handshake, counted after the length field: 16405 to
         * 16 MiB (default 64 KiB). Peers size their records to it.
         */
        public Builder maxFrameLength(int bytes) {
            if (bytes < HandshakeLimits.MIN_FRAME_LENGTH
                    || bytes > HandshakeLimits.MAX_FRAME_LENGTH) {
                throw new IllegalArgumentException(
                        "maxFrameLength: "
                                + bytes
                                + " (expected: "
                                + HandshakeLimits.MIN_FRAME_LENGTH
                                + ".."
                                + HandshakeLimits.MAX_FRAME_LENGTH
                                + ")");
            }
            this.maxFrameLength = bytes;
            return this;
        }

        /** How long a handshake may take (default 10 s). */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive(timeout, "handshakeTimeout");
            return this;
        }

        /** Close a channel when nothing arrives for this long (default 60 s). */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = positive(timeout, "idleTimeout");
            return this;
        }

        /** Send a ping when nothing was sent for this long (default 15 s). */
        public Builder keepAliveInterval(Duration interval) {
            this.keepAliveInterval = positive(interval, "keepAliveInterval");
            return this;
        }

        /** Bytes the application may write before the handshake completes (default 1 MiB). */
        public Builder maxPendingWriteBytes(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException(
                        "maxPendingWriteBytes: " + bytes + " (expected: >= 0)");
            }
            this.maxPendingWriteBytes = bytes;
            return this;
        }

        /**
         * Hard limit of the outbound buffer: a peer that does not read while the application keeps
         * writing past it is disconnected with {@code SLOW_CONSUMER} (default 64 MiB).
         */
        public Builder maxOutboundBufferBytes(long bytes) {
            if (bytes < 65536) {
                throw new IllegalArgumentException(
                        "maxOutboundBufferBytes: " + bytes + " (expected: >= 65536)");
            }
            this.maxOutboundBufferBytes = bytes;
            return this;
        }

        /**
         * Keep a {@link RecordDigest} of every application record (default off: SHA-256 of all data
         * costs more than the encryption itself). It describes this channel's records; the
         * conversation fingerprint people compare is a {@link ConversationDigest} over messages,
         * which the application keeps.
         */
        public Builder recordDigest(boolean enabled) {
            this.recordDigest = enabled;
            return this;
        }

        /** Handshakes allowed in progress at once; more are refused with {@code BUSY}. */
        public Builder maxConcurrentHandshakes(int count) {
            if (count < 1) {
                throw new IllegalArgumentException(
                        "maxConcurrentHandshakes: " + count + " (expected: >= 1)");
            }
            this.maxConcurrentHandshakes = count;
            return this;
        }

        /**
         * Where handshake steps that may take long or block run (default: a shared pool, one thread
         * per core, with a bounded queue): those that sign with the RSA identity key (about 3.5 ms
         * for RSA-3072), those that call a {@link PeerVerifier} that does not declare itself
         * non-blocking or a {@link CertificateSource} without its certificate at hand, and, with
         * {@link #offloadAllHandshakeWork}, every step. The other steps (key agreement, Ed25519,
         * verifications, a resumed handshake's Finished) take tens to a few hundred microseconds
         * and run on the channel's event loop, as Netty's {@code SslHandler} runs its handshake:
         * each hand-off costs two thread switches.
         */
        public Builder cryptoExecutor(Executor executor) {
            this.cryptoExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Runs every handshake step with public-key work on the {@link #cryptoExecutor} (default
         * off: only the steps that may take milliseconds or block go there). Turn it on when the
         * event loops carry latency-critical traffic that must never wait behind a key agreement of
         * another channel, at the cost of about twice the CPU per resumed handshake in thread
         * hand-offs (docs/benchmarks.md).
         */
        public Builder offloadAllHandshakeWork(boolean enabled) {
            this.offloadAllHandshakeWork = enabled;
            return this;
        }

        /** The randomness source (default: a new {@link SecureRandom}). */
        public Builder secureRandom(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Authenticate handshakes with a delegated credential when the peer offers it too (default
         * on; docs/protocol.md 5.10): the identity key signs a short-lived Ed25519 key once, when
         * the context is built and again before it expires, and each handshake then signs with
         * Ed25519 instead of RSA. A peer without the feature gets the RSA-signed handshake.
         */
        public Builder delegatedCredentials(boolean enabled) {
            this.delegatedCredentials = enabled;
            return this;
        }

        /**
         * How long each delegated credential is valid: more than 1 minute and at most 7 days
         * (default 24 hours). Whoever steals a credential's key can impersonate this identity until
         * it expires (docs/security.md); it is renewed when a quarter of it is left.
         */
        public Builder delegatedCredentialValidity(Duration validity) {
            positive(validity, "delegatedCredentialValidity");
            if (validity.compareTo(DelegatedCredential.MAX_VALIDITY) > 0
                    || validity.compareTo(CredentialKeeper.MIN_REMAINING.multipliedBy(4)) < 0) {
                throw new IllegalArgumentException(
                        "delegatedCredentialValidity: "
                                + validity
                                + " (expected: 4 minutes to 7 days)");
            }
            this.credentialValidity = validity;
            return this;
        }

        /**
         * Resume sessions with single-use tickets (default on; docs/protocol.md 5.11). As
         * responder, this context sends each initiator that asks a ticket after the handshake and
         * keeps it (at most 4,096, each for 24 hours, removed on first use); as initiator, it keeps
         * the tickets it receives (at most 4 per peer) and offers one when it connects again to the
         * same address. A resumed handshake still runs a fresh X25519 (and ML-KEM-768) exchange,
         * and proves the ticket's key instead of signing; the peer verifier checks the identity of
         * the earlier session again. A ticket that is unknown, used or expired costs a full
         * handshake, and so does any peer without the feature. Tickets are issued only between
         * peers on the same network (or both on none).
         */
        public Builder resumption(boolean enabled) {
            this.resumption = enabled;
            return this;
        }

        /**
         * Keeps the delegated credential in {@code store} between runs (default: none, one RSA
         * signature at every build): {@link #build()} uses the stored credential while it is good
         * for this identity and network, and every credential signed from then on is saved. The
         * store holds the credential's private key; see {@link DelegatedCredentialStore}.
         */
        public Builder delegatedCredentialStore(DelegatedCredentialStore store) {
            this.credentialStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Keeps resumption tickets in {@code store} from one run to the next (default: none,
         * tickets live in memory only): {@link #build()} {@linkplain ResumptionTicketStore#take()
         * takes} the state the previous run saved and restores its tickets that are unexpired and
         * of this identity key and network, and {@link
         * SecureChannelContext#saveResumptionTickets()} saves them at a clean shutdown. The store
         * holds ticket PSKs; see {@link ResumptionTicketStore}. Not used when {@link #resumption}
         * is off.
         */
        public Builder resumptionTicketStore(ResumptionTicketStore store) {
            this.ticketStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /** Uses {@code keeper} instead of minting delegated credentials; for tests. */
        Builder credentialKeeperForTesting(CredentialKeeper keeper) {
            this.credentialKeeper = Objects.requireNonNull(keeper, "keeper");
            return this;
        }

        /** The clock delegated credentials are minted and checked with; for tests. */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the context. With delegated credentials on, signs the first one (one RSA signature
         * on the calling thread) unless a {@link #delegatedCredentialStore} holds one still good;
         * with a {@link #resumptionTicketStore}, takes its state.
         *
         * @throws IllegalStateException if no peer verifier was set, the policy leaves no suite, or
         *     the network options contradict each other
         */
        public SecureChannelContext build() {
            if (verifier == null) {
                throw new IllegalStateException("peerVerifier is required");
            }
            if (acceptUnboundInitiators && networkId.length == 0) {
                throw new IllegalStateException("acceptUnboundInitiators needs a networkId");
            }
            if (discoverNetwork && networkId.length != 0) {
                throw new IllegalStateException("discoverNetwork needs an empty networkId");
            }
            if (discoverNetwork && acceptUnboundInitiators) {
                throw new IllegalStateException(
                        "discoverNetwork and acceptUnboundInitiators exclude each other");
            }
            List<CipherSuite> allowed = new ArrayList<>();
            for (CipherSuite s : suites) {
                if ((!requirePostQuantum || s.isHybrid()) && (!requireAes256 || s.isAes256())) {
                    allowed.add(s);
                }
            }
            if (allowed.isEmpty()) {
                throw new IllegalStateException(
                        "no cipher suite satisfies the policy (requirePostQuantum="
                                + requirePostQuantum
                                + ", requireAes256="
                                + requireAes256
                                + ")");
            }
            Executor executor = cryptoExecutor != null ? cryptoExecutor : CryptoExecutors.shared();
            SecureRandom rng = random != null ? random : new SecureRandom();
            CredentialKeeper credentials =
                    !delegatedCredentials
                            ? null
                            : credentialKeeper != null
                                    ? credentialKeeper
                                    : new CredentialKeeper(
                                            identity,
                                            networkId,
                                            credentialValidity,
                                            clock,
                                            rng,
                                            executor,
                                            credentialStore);
            HandshakeConfig handshake =
                    new HandshakeConfig(
                            identity,
                            allowed,
                            requirePostQuantum,
                            requireAes256,
                            networkId,
                            listenAddress,
                            rotation.ratchetIntervalRecords(),
                            rotation.ratchetIntervalBytes(),
                            maxFrameLength,
                            certificateSource,
                            discoverNetwork
                                    ? HandshakeConfig.NetworkBinding.DISCOVER
                                    : acceptUnboundInitiators
                                            ? HandshakeConfig.NetworkBinding
                                                    .ACCEPT_UNBOUND_INITIATORS
                                            : HandshakeConfig.NetworkBinding.STRICT,
                            credentials,
                            resumptionTickets());
            return new SecureChannelContext(
                    new ChannelSettings(
                            handshake,
                            verifier,
                            rotation,
                            handshakeTimeout,
                            idleTimeout,
                            keepAliveInterval,
                            maxPendingWriteBytes,
                            maxOutboundBufferBytes,
                            recordDigest,
                            maxConcurrentHandshakes,
                            new AtomicInteger(),
                            executor,
                            offloadAllHandshakeWork,
                            rng),
                    resumption ? ticketStore : null);
        }

        /**
         * The context's resumption tickets, or null with resumption off; with a store, those of the
         * previous run are restored (the store's state is taken once, here).
         */
        private @Nullable ResumptionTickets resumptionTickets() {
            if (!resumption) {
                return null;
            }
            ResumptionTickets tickets =
                    new ResumptionTickets(
                            clock,
                            ResumptionTickets.DEFAULT_LIFETIME,
                            ResumptionTickets.DEFAULT_MAX_ISSUED);
            if (ticketStore != null) {
                tickets.restoreFrom(ticketStore, identity.peerId(), networkId);
            }
            return tickets;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
            return d;
        }
    }
}
