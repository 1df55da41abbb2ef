package io.p2pchat.ledger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.Role;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.FixedEntropy;
import io.p2pchat.verify.TofuVerifier;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * A child JVM that dies the instant a given log line is emitted, as {@code kill -9} would at that
 * point (ATTACKS S-04, S-05; Bitcoin's feature_init stops at each logged startup phase): an
 * appender on the root logger calls {@link Runtime#halt} synchronously in the logging thread, so no
 * {@code finally}, shutdown hook or later write runs. Written data stays in the page cache, as
 * after a process kill.
 *
 * <pre>
 * HaltingChild &lt;substring&gt; &lt;occurrence&gt; &lt;scenario&gt; &lt;dir&gt; [n]
 *   ledger-open    opens the ledger of CrashChild.PARAMS in dir, prints "@@ OPENED height"
 *   identity-save  saves identity n (fixed) to dir/identity.pem (scrypt 2^10, passphrase "pw")
 *   tofu-remember  remembers peer n at 127.0.0.1:(7000+n) in dir/known_peers
 * </pre>
 *
 * A substring of "-" never halts. Exit code 137 means it halted.
 */
public final class HaltingChild {
    private HaltingChild() {}

    private static final java.util.Map<Integer, LocalIdentity> FIXED =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Identity n: the same in every JVM (its key depends on n only). */
    static LocalIdentity fixed(int n) {
        return FIXED.computeIfAbsent(
                n, k -> LocalIdentity.generate(2048, new FixedEntropy("halting child " + k)));
    }

    public static void main(String[] args) throws Exception {
        String substring = args[0];
        int occurrence = Integer.parseInt(args[1]);
        String scenario = args[2];
        Path dir = Path.of(args[3]);
        int n = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.getLogger("io.p2pchat.util").setLevel(Level.TRACE);
        AtomicInteger seen = new AtomicInteger();
        AppenderBase<ILoggingEvent> halter =
                new AppenderBase<>() {
                    @Override
                    protected void append(ILoggingEvent e) {
                        if (!substring.equals("-")
                                && e.getFormattedMessage().contains(substring)
                                && seen.incrementAndGet() == occurrence) {
                            System.out.println("@@ HALT " + substring);
                            System.out.flush();
                            Runtime.getRuntime().halt(137);
                        }
                    }
                };
        halter.setContext(ctx);
        halter.start();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(halter);
        switch (scenario) {
            case "ledger-open" -> {
                try (Ledger l = Ledger.builder(CrashChild.PARAMS).dataDirectory(dir).open()) {
                    System.out.println("@@ OPENED " + l.tip().height());
                }
            }
            case "identity-save" -> {
                IdentityStore.builder()
                        .scryptLog2N(10)
                        .build()
                        .save(fixed(n), dir.resolve("identity.pem"), "pw".toCharArray());
                System.out.println("@@ SAVED");
            }
            case "tofu-remember" -> {
                LocalIdentity peer = fixed(n);
                TofuVerifier.open(dir.resolve("known_peers"))
                        .verify(
                                new PeerCredentials(
                                        peer.peerId(),
                                        peer.publicKey(),
                                        new byte[0],
                                        Optional.of(new InetSocketAddress("127.0.0.1", 7000 + n)),
                                        Optional.empty(),
                                        Role.RESPONDER));
                System.out.println("@@ REMEMBERED");
            }
            default -> throw new IllegalArgumentException(scenario);
        }
        System.out.flush();
    }
}
