package io.p2pchat.example.testing;

import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.chat.HistoryKey;
import io.p2pchat.example.console.Console;
import io.p2pchat.example.console.Output;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.node.Registration;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.node.NodePeer;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A chat node built in this JVM from the library's parts, as {@code p2pchat node} builds one (a
 * ledger in {@code HOME/ledger}, history and contacts under a storage root, the console in plain
 * mode), for tests that must act on the node through the API where no command exists: submit a
 * transaction the node signed with its key, mine a private branch, restart with another key. Driven
 * like a {@link ChildNode}.
 */
public final class LibraryNode extends ConsoleDriver {
    private final Path home;
    private final NetworkParameters params;
    private final boolean discovery;
    private final StorageRoot root = StorageRoot.generate();
    private final PrintStream printed =
            new PrintStream(new LineSink(false), true, StandardCharsets.UTF_8);
    private int port;
    private ChatNode node;
    private Writer stdin;
    private Thread console;

    private LibraryNode(String name, Path home, NetworkParameters params, boolean discovery) {
        super(name);
        this.home = home;
        this.params = params;
        this.discovery = discovery;
    }

    /**
     * Starts a node for {@code identity} in {@code home}, listening on a free loopback port.
     *
     * @param discovery whether the node dials the addresses registered in new blocks (off: it talks
     *     only to the peers it is told to)
     */
    public static LibraryNode start(
            String name,
            Path home,
            LocalIdentity identity,
            NetworkParameters params,
            boolean discovery)
            throws IOException {
        LibraryNode n = new LibraryNode(name, home, params, discovery);
        n.open(identity);
        return n;
    }

    private void open(LocalIdentity identity) throws IOException {
        Ledger ledger =
                Ledger.builder(params).dataDirectory(home.resolve("ledger")).name(name).open();
        Output out = new Output(Output.Mode.PLAIN, printed);
        ChatEvents events = new ChatEvents(out);
        node =
                ChatNode.start(
                        identity,
                        name,
                        ledger,
                        "127.0.0.1",
                        port,
                        home.resolve("history"),
                        HistoryKey.of(root),
                        ContactStore.open(home.resolve("contacts.dat"), root),
                        events,
                        b -> b.listener(events).discovery(discovery));
        port = node.address().getPort();
        Console c = new Console(node, out, events);
        PipedInputStream in = new PipedInputStream(1 << 16);
        stdin = new OutputStreamWriter(new PipedOutputStream(in), StandardCharsets.UTF_8);
        console =
                new Thread(
                        () -> {
                            try {
                                c.runScripted(in);
                            } catch (IOException e) {
                                errors.append(e).append('\n');
                            }
                        },
                        "p2pchat-console-" + name);
        console.setDaemon(true);
        console.start();
    }

    /** The running node. */
    public ChatNode chatNode() {
        return node;
    }

    /** The port it listens on (kept across restarts). */
    public int port() {
        return port;
    }

    /** Connects once to a member and waits (bounded) for the handshake. */
    public NodePeer connect(int memberPort) throws Exception {
        return node.node()
                .connect(new InetSocketAddress("127.0.0.1", memberPort))
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Registers the node's key with {@code name} at its address, as {@code p2pchat node} does, and
     * waits until the registration and the name are confirmed (some node must mine).
     */
    public IdentityRecord register(String displayName) throws InterruptedException {
        return register(node, displayName);
    }

    /**
     * Registers {@code node}'s key with {@code name} at its loopback address, its name's salt kept
     * in memory, and waits until the registration and the name are confirmed.
     */
    public static IdentityRecord register(ChatNode node, String displayName)
            throws InterruptedException {
        byte[][] salt = new byte[1][];
        return new Registration(
                        node.node(),
                        displayName,
                        "127.0.0.1",
                        node.address().getPort(),
                        new Registration.SaltStore() {
                            @Override
                            public byte[] load() {
                                return salt[0];
                            }

                            @Override
                            public void store(byte[] s) {
                                salt[0] = s.clone();
                            }
                        },
                        (stage, text, fraction) -> {})
                .run(WAIT);
    }

    /**
     * Stops the node and starts it again in the same home, on the same port, holding {@code
     * identity} (what a person does after rotating the key in the identity file).
     */
    public void restart(LocalIdentity identity) throws Exception {
        stop();
        open(identity);
    }

    private void stop() throws Exception {
        stdin.close(); // the console reads to the end of its input
        console.join(TimeUnit.SECONDS.toMillis(10));
        node.close();
    }

    @Override
    protected Writer stdin() {
        return stdin;
    }

    @Override
    public boolean isAlive() {
        return console.isAlive();
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (Exception e) {
            // best effort
        }
        root.destroy();
    }
}
