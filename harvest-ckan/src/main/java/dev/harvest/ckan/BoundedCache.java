package dev.harvest.ckan;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small thread-safe least-recently-used map, for values that are immutable and cheap to compute again: parsed
 * source configurations, API clients, group lookups of a job. It never grows past its capacity, so a long-running
 * process that sees many configurations or jobs keeps only the recent ones.
 *
 * <p>A value is computed outside the lock; two threads that miss at once may both compute it, and both get the one
 * that was stored first.
 *
 * @param <K> the key; must have value equality
 * @param <V> the value; never {@code null}
 */
final class BoundedCache<K, V> {

    /** Computes a missing value. */
    interface Loader<K, V, E extends Exception> {
        V load(K key) throws E;
    }

    private final int capacity;
    private final LinkedHashMap<K, V> entries;

    /** @param capacity the most entries kept */
    BoundedCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > BoundedCache.this.capacity;
            }
        };
    }

    /**
     * @param key the key
     * @param loader computes the value when it is missing; what it throws is thrown, and nothing is stored
     * @return the stored value, or the one just computed
     * @throws E if the loader throws
     */
    <E extends Exception> V get(K key, Loader<K, V, E> loader) throws E {
        V value = getIfPresent(key);
        if (value != null) {
            return value;
        }
        V loaded = loader.load(key);
        if (loaded == null) {
            throw new IllegalStateException("A cache loader returned null for " + key);
        }
        synchronized (this) {
            V raced = entries.putIfAbsent(key, loaded);
            return raced != null ? raced : loaded;
        }
    }

    /** @return the value, or {@code null} */
    synchronized V getIfPresent(K key) {
        return entries.get(key);
    }

    /** Stores a value, replacing any. */
    synchronized void put(K key, V value) {
        if (value == null) {
            throw new IllegalArgumentException("A cache value must not be null");
        }
        entries.put(key, value);
    }

    /** @return how many entries are kept */
    /** Forgets every entry, e.g. when the values were built with settings that changed. */
    synchronized void clear() {
        entries.clear();
    }

    synchronized int size() {
        return entries.size();
    }

    /** @return the most entries kept */
    int capacity() {
        return capacity;
    }
}
