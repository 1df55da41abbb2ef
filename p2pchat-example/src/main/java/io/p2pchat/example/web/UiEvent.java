package io.p2pchat.example.web;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Map;
import java.util.Objects;

/**
 * One event for the page: a JSON object with an {@code "event"} field naming its kind, as the
 * console prints with {@code --json} (for example {@code {"event":"message","from":"alice",
 * "text":"hi"}}). Immutable; the JSON text is made once, when the event is created, so that one
 * event sent to several pages costs one serialization.
 *
 * <p>The values are exact (a peer's text is not escaped here): the page inserts every one of them
 * as text, never as markup.
 */
public final class UiEvent {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private final String kind;
    private final String json;

    private UiEvent(String kind, String json) {
        this.kind = kind;
        this.json = json;
    }

    /**
     * An event of {@code kind} with {@code fields} after its {@code "event"} field, in their order
     * (null values are left out).
     *
     * @param kind the {@code "event"} field, for example {@code "message"}
     * @param fields the other fields; values are strings, numbers, booleans, lists and maps
     */
    public static UiEvent of(String kind, Map<String, ?> fields) {
        requireKind(kind);
        JsonObject o = new JsonObject();
        o.addProperty("event", kind);
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (e.getKey().equals("event")) {
                throw new IllegalArgumentException(
                        "fields must not hold \"event\": the kind is " + kind);
            }
            if (e.getValue() != null) {
                o.add(e.getKey(), GSON.toJsonTree(e.getValue()));
            }
        }
        return new UiEvent(kind, GSON.toJson(o));
    }

    /**
     * An event from the JSON object {@code json}, which must have a string {@code "event"} field (a
     * line the console prints with {@code --json}).
     *
     * @throws IllegalArgumentException if {@code json} is not such an object
     */
    public static UiEvent parse(String json) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("not JSON: " + ex.getMessage(), ex);
        }
        if (!e.isJsonObject()
                || !e.getAsJsonObject().has("event")
                || !e.getAsJsonObject().get("event").isJsonPrimitive()) {
            throw new IllegalArgumentException("not a JSON object with an \"event\" field");
        }
        String kind = e.getAsJsonObject().get("event").getAsString();
        requireKind(kind);
        return new UiEvent(kind, GSON.toJson(e));
    }

    private static void requireKind(String kind) {
        Objects.requireNonNull(kind, "kind");
        if (kind.isEmpty() || kind.length() > 64) {
            throw new IllegalArgumentException(
                    "kind must have 1 to 64 characters, got " + kind.length());
        }
    }

    /** The {@code "event"} field. */
    public String kind() {
        return kind;
    }

    /** The whole event as one JSON object. */
    public String json() {
        return json;
    }

    @Override
    public String toString() {
        return "UiEvent[" + kind + ", " + json.length() + " chars]";
    }
}
