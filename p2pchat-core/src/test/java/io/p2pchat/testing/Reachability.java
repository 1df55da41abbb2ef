package io.p2pchat.testing;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Finds where a secret is still referenced: walks the object graph from a root through the fields
 * of p2pchat's and the JDK crypto provider's objects, and reports every {@code byte[]} that
 * contains the secret and every {@code int[]} that contains it as big-endian words (the first words
 * of an AES key schedule are the key itself).
 *
 * <p>Reading the JDK's crypto objects needs {@code --add-opens java.base/javax.crypto} and {@code
 * java.base/com.sun.crypto.provider} (p2pchat-core's surefire configuration); without them the walk
 * fails rather than report nothing.
 */
public final class Reachability {
    private static final int MAX_OBJECTS = 100_000;

    private Reachability() {}

    /** The field paths from {@code root} at which {@code secret} is found, empty if none. */
    public static List<String> pathsTo(Object root, byte[] secret) {
        int[] words = new int[secret.length / 4];
        ByteBuffer.wrap(secret).asIntBuffer().get(words);
        List<String> hits = new ArrayList<>();
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        Deque<Object[]> queue = new ArrayDeque<>();
        queue.add(new Object[] {root, "root"});
        while (!queue.isEmpty()) {
            if (seen.size() > MAX_OBJECTS) {
                throw new AssertionError("object graph larger than " + MAX_OBJECTS);
            }
            Object[] next = queue.poll();
            Object o = next[0];
            String path = (String) next[1];
            if (o == null || seen.put(o, Boolean.TRUE) != null) {
                continue;
            }
            Class<?> c = o.getClass();
            if (c == byte[].class) {
                if (contains((byte[]) o, secret)) {
                    hits.add(path);
                }
            } else if (c == int[].class) {
                if (containsWords((int[]) o, words)) {
                    hits.add(path);
                }
            } else if (c.isArray()) {
                if (!c.getComponentType().isPrimitive()) {
                    Object[] a = (Object[]) o;
                    for (int i = 0; i < a.length; i++) {
                        queue.add(new Object[] {a[i], path + "[" + i + "]"});
                    }
                }
            } else if (inScope(c) && !(o instanceof java.security.Provider)) {
                for (Class<?> k = c; k != null && inScope(k); k = k.getSuperclass()) {
                    for (Field f : k.getDeclaredFields()) {
                        if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                            continue;
                        }
                        queue.add(new Object[] {read(f, o), path + "." + f.getName()});
                    }
                }
            }
        }
        return hits;
    }

    /**
     * Classes whose fields are followed: p2pchat's own and the JDK's cipher implementation (not the
     * provider registry, which holds no keys).
     */
    private static boolean inScope(Class<?> c) {
        String n = c.getName();
        return n.startsWith("io.p2pchat.")
                || n.startsWith("javax.crypto.")
                || n.startsWith("com.sun.crypto.provider.");
    }

    private static Object read(Field f, Object o) {
        try {
            f.setAccessible(true);
            return f.get(o);
        } catch (InaccessibleObjectException | IllegalAccessException e) {
            throw new AssertionError(
                    "cannot read "
                            + f
                            + ": run with --add-opens for its package (see p2pchat-core/pom.xml)",
                    e);
        }
    }

    /**
     * What an HMAC keyed with {@code key} (at most one block) holds of it: the key XOR the inner
     * pad (0x36) or, for {@code outer}, XOR the outer pad (0x5c), over the key's length.
     */
    public static byte[] hmacPad(byte[] key, boolean outer) {
        byte[] out = new byte[key.length];
        for (int i = 0; i < key.length; i++) {
            out[i] = (byte) (key[i] ^ (outer ? 0x5c : 0x36));
        }
        return out;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    private static boolean containsWords(int[] hay, int[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }
}
