package io.p2pchat.example.command;

import io.p2pchat.example.event.Event;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.node.IdentityLifecycle;

/**
 * Publishes the progress and events of an identity operation ({@link IdentityLifecycle}): a bar
 * redrawn in place on a terminal before the prompt exists, else one {@code progress} step each time
 * the progress text changes.
 */
public final class LifecycleEvents implements IdentityLifecycle.Report {
    private final EventSink out;
    private final boolean inPlace;
    private String last = "";

    /**
     * @param inPlace redraw a progress bar (a terminal, before the console's prompt exists)
     */
    public LifecycleEvents(EventSink out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    @Override
    public void progress(String stage, String text, double fraction) {
        if (inPlace) {
            out.progress(stage, text, fraction);
            return;
        }
        String key = stage + "\0" + text;
        if (key.equals(last)) {
            return;
        }
        last = key;
        out.publish(Event.progress(Event.Form.STEP, stage, text, fraction));
    }

    @Override
    public void event(String kind, String text, Object... fields) {
        last = "";
        out.event(kind, text, fields);
    }
}
