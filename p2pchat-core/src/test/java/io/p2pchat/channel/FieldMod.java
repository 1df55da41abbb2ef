package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * A change to one field of a Protobuf message, in the style of TLS-Attacker's modifiable variables:
 * set, xor, truncate, clear (drop), duplicate, reorder, randomize, or replay the value the same
 * field had in a message of another session.
 *
 * <p>A field is named by a dotted path of Protobuf field names from the message root, such as
 * {@code "initiator_hello.x25519_share"} on a {@code HelloMessage}. Modifiers work on the message
 * through Protobuf reflection, so one modifier type serves every handshake and control message.
 * Applying a modifier never changes its input; it returns a new message.
 */
@FunctionalInterface
public interface FieldMod {
    /** Returns a copy of {@code message} with the change applied. */
    Message apply(Message message);

    /**
     * Sets the field to {@code value} (a {@code ByteString}, {@code Integer}, {@code String}...).
     */
    static FieldMod set(String path, Object value) {
        Object v = value instanceof byte[] ? ByteString.copyFrom((byte[]) value) : value;
        return at(path, (b, f) -> b.setField(f, v));
    }

    /** Clears (drops) the field: absent on the wire. */
    static FieldMod clear(String path) {
        return at(path, Message.Builder::clearField);
    }

    /** XORs byte {@code index} (modulo the length) of a bytes field with {@code mask}. */
    static FieldMod xor(String path, int index, int mask) {
        return edit(
                path,
                v -> {
                    byte[] bytes = ((ByteString) v).toByteArray();
                    if (bytes.length == 0) {
                        return ByteString.copyFrom(new byte[] {(byte) mask});
                    }
                    int i = Math.floorMod(index, bytes.length);
                    bytes[i] ^= (byte) mask;
                    return ByteString.copyFrom(bytes);
                });
    }

    /** Keeps the first {@code length} bytes, characters or elements of the field. */
    static FieldMod truncate(String path, int length) {
        return at(
                path,
                (b, f) -> {
                    if (f.isRepeated()) {
                        List<Object> kept = new ArrayList<>();
                        for (int i = 0; i < Math.min(length, b.getRepeatedFieldCount(f)); i++) {
                            kept.add(b.getRepeatedField(f, i));
                        }
                        b.clearField(f);
                        kept.forEach(e -> b.addRepeatedField(f, e));
                    } else if (f.getType() == FieldDescriptor.Type.STRING) {
                        String s = (String) b.getField(f);
                        b.setField(f, s.substring(0, Math.min(length, s.length())));
                    } else {
                        ByteString s = (ByteString) b.getField(f);
                        b.setField(f, s.substring(0, Math.min(length, s.size())));
                    }
                });
    }

    /** Doubles the field: repeated elements are appended again, bytes are concatenated. */
    static FieldMod duplicate(String path) {
        return at(
                path,
                (b, f) -> {
                    if (f.isRepeated()) {
                        int n = b.getRepeatedFieldCount(f);
                        for (int i = 0; i < n; i++) {
                            b.addRepeatedField(f, b.getRepeatedField(f, i));
                        }
                    } else if (f.getType() == FieldDescriptor.Type.STRING) {
                        b.setField(f, (String) b.getField(f) + b.getField(f));
                    } else {
                        ByteString s = (ByteString) b.getField(f);
                        b.setField(f, s.concat(s));
                    }
                });
    }

    /** Reverses the order of a repeated field's elements (or of a bytes field's bytes). */
    static FieldMod reorder(String path) {
        return at(
                path,
                (b, f) -> {
                    if (f.isRepeated()) {
                        List<Object> all = new ArrayList<>();
                        for (int i = 0; i < b.getRepeatedFieldCount(f); i++) {
                            all.add(b.getRepeatedField(f, i));
                        }
                        Collections.reverse(all);
                        b.clearField(f);
                        all.forEach(e -> b.addRepeatedField(f, e));
                    } else {
                        byte[] bytes = ((ByteString) b.getField(f)).toByteArray();
                        for (int i = 0, j = bytes.length - 1; i < j; i++, j--) {
                            byte t = bytes[i];
                            bytes[i] = bytes[j];
                            bytes[j] = t;
                        }
                        b.setField(f, ByteString.copyFrom(bytes));
                    }
                });
    }

    /** Replaces a bytes field by {@code length} seeded random bytes. */
    static FieldMod randomize(String path, int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return set(path, bytes);
    }

    /** Sets the field to the value it has in {@code other}, a message of another session. */
    static FieldMod replayFrom(String path, Message other) {
        Objects.requireNonNull(other, "other");
        return m -> {
            Object[] value = new Object[1];
            at(path, (b, f) -> value[0] = b.getField(f)).apply(other);
            return at(path, (b, f) -> b.setField(f, value[0])).apply(m);
        };
    }

    /** Replaces the field's value by {@code fn(value)}. */
    static FieldMod edit(String path, UnaryOperator<Object> fn) {
        return at(path, (b, f) -> b.setField(f, fn.apply(b.getField(f))));
    }

    /** Applies {@code op} to the builder that holds the last field of {@code path}. */
    private static FieldMod at(String path, BiConsumer<Message.Builder, FieldDescriptor> op) {
        String[] parts = path.split("\\.");
        return m -> {
            Message.Builder root = m.toBuilder();
            Message.Builder b = root;
            for (int i = 0; ; i++) {
                FieldDescriptor f = b.getDescriptorForType().findFieldByName(parts[i]);
                if (f == null) {
                    throw new IllegalArgumentException(
                            "no field " + parts[i] + " in " + b.getDescriptorForType().getName());
                }
                if (i == parts.length - 1) {
                    op.accept(b, f);
                    return root.build();
                }
                b = b.getFieldBuilder(f);
            }
        };
    }
}
