package io.p2pchat.example.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The nodes a test started: each is closed after the test, and if the test failed, every node's
 * transcript is printed so the failure can be read. Register it as an instance field with
 * {@code @RegisterExtension} and pass each node through {@link #add}.
 */
public final class RunningNodes implements AfterEachCallback, TestWatcher {
    private final List<ConsoleDriver> nodes = new CopyOnWriteArrayList<>();

    /** Keeps {@code node} to close after the test; returns it. */
    public <T extends ConsoleDriver> T add(T node) {
        nodes.add(node);
        return node;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (ConsoleDriver n : nodes) {
            n.close();
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        for (ConsoleDriver n : nodes) {
            System.out.println(n.transcript());
        }
    }
}
