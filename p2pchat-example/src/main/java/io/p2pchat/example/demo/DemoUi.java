package io.p2pchat.example.demo;

import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.event.EventBus;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.web.WebUi;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import java.util.Optional;

/**
 * {@code p2pchat demo --ui}: one person's web page. The person's chat reports to the demo (its
 * narration) and to this page's event model ({@link ChatEvents} on an {@link EventBus}), which the
 * page is a view of, as for {@code p2pchat node --ui}.
 */
final class DemoUi implements AutoCloseable {
    private final EventBus bus = new EventBus();
    private final ChatEvents events = new ChatEvents(bus);
    private WebUi ui;

    /** A listener that tells both the demo and the page. */
    ChatService.Listener listener(ChatService.Listener demo) {
        return new ChatService.Listener() {
            @Override
            public void onReceived(Contact from, ChatMessage message) {
                demo.onReceived(from, message);
                events.onReceived(from, message);
            }

            @Override
            public void onDelivered(Contact to, ChatMessage message) {
                demo.onDelivered(to, message);
                events.onDelivered(to, message);
            }

            @Override
            public void onConnected(NodePeer peer, Optional<Contact> contact) {
                demo.onConnected(peer, contact);
                events.onConnected(peer, contact);
            }

            @Override
            public void onConfirmed(NodePeer peer, Contact contact) {
                events.onConfirmed(peer, contact);
            }

            @Override
            public void onNamed(NodePeer peer, Contact contact) {
                events.onNamed(peer, contact);
            }

            @Override
            public void onDisconnected(NodePeer peer, Optional<Contact> contact) {
                demo.onDisconnected(peer, contact);
                events.onDisconnected(peer, contact);
            }

            @Override
            public void onNameChanged(ChatService.NameChange change) {
                events.onNameChanged(change);
            }

            @Override
            public void onKeyChanged(ChatService.KeyChange change) {
                events.onKeyChanged(change);
            }

            @Override
            public void onProblem(String text) {
                demo.onProblem(text);
            }
        };
    }

    /** Serves the page of {@code node} on a free loopback port; returns its URL. */
    String start(ChatNode node, ContactStore contacts) {
        ui = WebUi.start(new WebUi.Address("127.0.0.1", 0, false), node, bus, events, contacts);
        return ui.url();
    }

    @Override
    public void close() {
        if (ui != null) {
            ui.close();
        }
    }
}
