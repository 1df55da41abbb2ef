package io.p2pchat.example.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.LocalIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Node homes for tests. */
public final class Homes {
    /** The passphrase of every test identity. */
    public static final String PASSPHRASE = "correct horse battery staple";

    /**
     * Identity files written for tests use scrypt N = 2^10 instead of 2^17, so that a child JVM
     * loads them in milliseconds rather than a second or more (the file format is the same; the
     * real cost is exercised by {@link #initWithCli}).
     */
    private static final IdentityStore FAST_STORE =
            IdentityStore.builder().scryptLog2N(IdentityStore.MIN_SCRYPT_LOG2_N).build();

    private static final Map<String, LocalIdentity> KEYS = new ConcurrentHashMap<>();

    private Homes() {}

    /** A file holding {@link #PASSPHRASE}. */
    public static Path passphraseFile(Path dir) throws Exception {
        Path f = dir.resolve("passphrase");
        if (!Files.exists(f)) {
            Files.writeString(f, PASSPHRASE);
        }
        return f;
    }

    /**
     * A home for {@code name} in {@code dir/name}, as {@code p2pchat init} makes it, with an
     * RSA-2048 key generated once per JVM and per name.
     */
    public static Path init(Path dir, String name) throws Exception {
        Path home = dir.resolve(name);
        Files.createDirectories(home);
        LocalIdentity id =
                KEYS.computeIfAbsent(name, n -> LocalIdentity.generate(2048, new SecureRandom()));
        FAST_STORE.save(id, home.resolve("identity.pem"), PASSPHRASE.toCharArray());
        Files.writeString(home.resolve("node.properties"), "name=" + name + "\n");
        return home;
    }

    /** Runs the real {@code p2pchat init} for {@code name} in {@code dir/name} (RSA-2048). */
    public static Path initWithCli(Path dir, String name) throws Exception {
        Path home = dir.resolve(name);
        InProcessNode init =
                InProcessNode.run(
                        "init-" + name,
                        "init",
                        "--home",
                        home.toString(),
                        "--name",
                        name,
                        "--key-bits",
                        "2048",
                        "--passphrase-file",
                        passphraseFile(dir).toString());
        assertThat(init.awaitExit()).as(init.transcript()).isZero();
        return home;
    }

    /** The identity stored in a home. */
    public static LocalIdentity identity(Path home) throws Exception {
        return IdentityStore.create().load(home.resolve("identity.pem"), PASSPHRASE.toCharArray());
    }
}
