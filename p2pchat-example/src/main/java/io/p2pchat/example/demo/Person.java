package io.p2pchat.example.demo;

import static io.p2pchat.example.text.TerminalText.escape;

import com.google.protobuf.ByteString;
import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/** One of the three people of the demo: a node and what it saw. */
final class Person implements ChatService.Listener {
    final String name;
    LocalIdentity identity;
    ChatNode node;
    final Map<PeerId, WireTap> taps = new ConcurrentHashMap<>();
    final Map<PeerId, NodePeer> peers = new ConcurrentHashMap<>();
    final BlockingQueue<ChatMessage> received = new LinkedBlockingQueue<>();
    final BlockingQueue<ByteString> delivered = new LinkedBlockingQueue<>();
    final List<String> texts = new ArrayList<>();
    DemoUi ui;

    private final Narrator n;

    Person(String name, Narrator n) {
        this.name = name;
        this.n = n;
    }

    /** The one of {@code people} named {@code name}. */
    static Person named(List<Person> people, String name) {
        for (Person p : people) {
            if (p.name.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(name);
    }

    @Override
    public void onConnected(NodePeer peer, Optional<Contact> contact) {
        WireTap tap = new WireTap();
        // After the handshake: the tap sees every record this side writes from now on.
        peer.session().channel().pipeline().addFirst("demo-wire-tap", tap.recordTap());
        peer.session().channel().pipeline().addLast("demo-key-changes", tap.rotationWatcher());
        taps.put(peer.keyId(), tap);
        peers.put(peer.keyId(), peer);
    }

    @Override
    public void onReceived(Contact from, ChatMessage message) {
        received.add(message);
    }

    @Override
    public void onDelivered(Contact to, ChatMessage message) {
        delivered.add(message.getMessageId());
    }

    @Override
    public void onProblem(String text) {
        n.say(Narrator.INDENT + "! " + name + ": " + escape(text));
    }

    PeerId id() {
        return identity.peerId();
    }

    Contact contact() {
        return new Contact(id(), name);
    }

    NodePeer peerOf(Person other) throws InterruptedException {
        long deadline = System.nanoTime() + Narrator.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            NodePeer p = peers.get(other.id());
            if (p != null && p.session().channel().isActive()) {
                return p;
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException(name + " has no connection to " + other.name);
    }
}
