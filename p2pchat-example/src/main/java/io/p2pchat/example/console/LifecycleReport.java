package io.p2pchat.example.console;

import io.p2pchat.example.IdentityLifecycle;

/**
 * Prints the progress and events of an identity operation ({@link IdentityLifecycle}): a bar
 * redrawn in place on a terminal before the prompt exists, else one line (or one JSON {@code
 * progress} object) each time the progress text changes.
 */
public final class LifecycleReport implements IdentityLifecycle.Report {
    private final Output out;
    private final boolean inPlace;
    private String last = "";

    /**
     * @param inPlace redraw a progress bar (a terminal, before the console's prompt exists)
     */
    public LifecycleReport(Output out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace && out.mode() == Output.Mode.TERMINAL;
    }

    @Override
    public void progress(String stage, String text, double fraction) {
        if (inPlace) {
            out.progress(text, fraction, "stage", stage);
            return;
        }
        String key = stage + "\0" + text;
        if (key.equals(last)) {
            return;
        }
        last = key;
        if (out.mode() == Output.Mode.JSON) {
            out.progress(text, fraction, "stage", stage);
        } else {
            out.event("progress", TerminalText.escape(text));
        }
    }

    @Override
    public void event(String kind, String text, Object... fields) {
        last = "";
        out.event(kind, text, fields);
    }
}
