package io.p2pchat.example.console;

import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.node.Registration;

/**
 * Publishes registration and mining progress ({@link Registration.Progress}) for the console's
 * mode: a bar on a terminal; outside one, a step per change of text (not one per mining tick).
 */
public final class RegistrationEvents implements Registration.Progress {
    private final EventSink out;
    private final Output.Mode mode;
    private String last = "";
    private String lastStage = "";

    /** Progress published to {@code out}, shaped for a console in {@code mode}. */
    public RegistrationEvents(EventSink out, Output.Mode mode) {
        this.out = out;
        this.mode = mode;
    }

    @Override
    public void update(String stage, String text, double fraction) {
        if (mode == Output.Mode.TERMINAL) {
            out.progress(stage, text, fraction);
            return;
        }
        // Scripts get one line per stage change or block, not a line per mining tick.
        String key = stage + text.replaceAll(", mining [0-9.]+ MH/s", "");
        if (!key.equals(last)) {
            last = key;
            if (mode == Output.Mode.JSON) {
                out.progress(stage, text, fraction);
            } else if (!stage.equals(lastStage) || !stage.equals("submitted")) {
                out.info(text.replaceAll(", mining [0-9.]+ MH/s", ""));
            }
            lastStage = stage;
        }
    }
}
