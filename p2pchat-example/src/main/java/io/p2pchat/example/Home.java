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
 * HOME/identity.pem     the encrypted identity (IdentityStore)
 * HOME/node.properties  name and settings
 * HOME/ledger/          the local replica of the ledger
 * HOME/history/         encrypted chat history, one file per conversation
 * HOME/known_peers      trust-on-first-use memory for peers reached by address
 * </pre>
 */
public record Home(Path dir) {
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

    public Path knownPeers() {
        return dir.resolve("known_peers");
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

    /** Writes node.properties. */
    public void store(Properties p) {
        try (OutputStream out = Files.newOutputStream(properties())) {
            p.store(out, "p2pchat node");
        } catch (IOException e) {
            throw new UserError("Cannot write " + properties() + ": " + e.getMessage(), e);
        }
    }

    /** Fails with a clear message when no identity was created here. */
    public void requireIdentity() {
        if (!Files.exists(identity())) {
            throw new UserError(
                    "No identity in "
                            + dir
                            + ". Create one with: p2pchat init --home "
                            + dir
                            + " --name NAME");
        }
    }
}
