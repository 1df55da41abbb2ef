package io.p2pchat.example;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The layout of a node's home directory.
 *
 * <pre>
 * HOME/identity.pem             the encrypted identity (IdentityStore)
 * HOME/node.properties          name and settings (listen address, the name commitment's salt)
 * HOME/ledger/                  the local replica of the ledger
 * HOME/ledger/network.params    the network's parameters (written at --genesis or first --join)
 * HOME/history/                 encrypted chat history, one file per conversation
 * </pre>
 */
public record Home(Path dir) {
    /** The network parameters of the ledger in this home. */
    public Path networkParameters() {
        return ledger().resolve("network.params");
    }

    public Path identity() {
        return dir.resolve("identity.pem");
    }

    public Path properties() {
        return dir.resolve("node.properties");
    }

    public Path ledger() {
        return dir.resolve("ledger");
    }

    public Path history() {
        return dir.resolve("history");
    }

    /** The name chosen at {@code init}. */
    public String name() {
        return load().getProperty("name", "");
    }

    /** Reads node.properties (empty if missing). */
    public Properties load() {
        Properties p = new Properties();
        if (Files.exists(properties())) {
            try (InputStream in = Files.newInputStream(properties())) {
                p.load(in);
            } catch (IOException e) {
                throw new UserError("Cannot read " + properties() + ": " + e.getMessage(), e);
            }
        }
        return p;
    }

    /** Writes node.properties atomically (temporary file, fsync, rename). */
    public void store(Properties p) {
        Path tmp = dir.resolve("node.properties.tmp");
        try {
            try (java.nio.channels.FileChannel ch =
                            java.nio.channels.FileChannel.open(
                                    tmp,
                                    java.nio.file.StandardOpenOption.CREATE,
                                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                                    java.nio.file.StandardOpenOption.WRITE);
                    OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                p.store(out, "p2pchat node");
                out.flush();
                ch.force(true);
            }
            Files.move(
                    tmp,
                    properties(),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError("Cannot write " + properties() + ": " + e.getMessage(), e);
        }
    }

    /** Sets one property and stores the file. */
    public void set(String key, String value) {
        Properties p = load();
        p.setProperty(key, value);
        store(p);
    }

    /** Fails with a clear message when no identity was created here. */
    public void requireIdentity() {
        if (!Files.exists(identity())) {
            throw new UserError(
                    "No identity in "
                            + dir
                            + ". Create one with: "
                            + P2pChat.command()
                            + " init --home "
                            + dir
                            + " --name NAME");
        }
    }
}
