package dev.harvest.core.engine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The guids one gather has seen, in bounded memory: 64 bits of each guid's SHA-256 in an open-addressing table
 * (12 bytes a guid), with the number of the listing that last brought it. A million guids take about 24 MB instead
 * of the 100 MB or more of a set of strings; two guids share a fingerprint with a probability of about
 * n²/2⁶⁵, which for a gather of a million guids is below one in ten million.
 */
final class GuidTracker {

    /** What {@link #add} found. */
    enum Seen {
        /** Never seen in this gather. */
        NEW,
        /** Seen in an earlier listing of this gather, not in the current one. */
        NEW_IN_LISTING,
        /** Already brought by the current listing. */
        SEEN
    }

    private static final double LOAD = 0.5;

    private long[] keys = new long[1024];
    private int[] listings = new int[1024];
    private int size;
    private int listing = 1;

    /** Starts a new listing: guids of earlier listings count as new in it once more. */
    void newListing() {
        listing++;
    }

    /** @return the number of distinct guids seen in the whole gather */
    int size() {
        return size;
    }

    /**
     * Records a guid in the current listing.
     *
     * @param guid a guid
     * @return whether the gather or the current listing had seen it
     */
    Seen add(String guid) {
        long key = fingerprint(guid);
        if (size + 1 > keys.length * LOAD) {
            grow();
        }
        int slot = find(keys, key);
        if (listings[slot] == 0) {
            keys[slot] = key;
            listings[slot] = listing;
            size++;
            return Seen.NEW;
        }
        if (listings[slot] != listing) {
            listings[slot] = listing;
            return Seen.NEW_IN_LISTING;
        }
        return Seen.SEEN;
    }

    /** @return whether the gather has seen the guid, in any listing */
    boolean contains(String guid) {
        int slot = find(keys, fingerprint(guid));
        return listings[slot] != 0;
    }

    private int find(long[] table, long key) {
        int mask = table.length - 1;
        int slot = (int) (key ^ (key >>> 32)) & mask;
        while (listings[slot] != 0 && table[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldListings = listings;
        keys = new long[oldKeys.length * 2];
        listings = new int[oldKeys.length * 2];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldListings[i] != 0) {
                int slot = find(keys, oldKeys[i]);
                keys[slot] = oldKeys[i];
                listings[slot] = oldListings[i];
            }
        }
    }

    private static long fingerprint(String guid) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(guid.getBytes(StandardCharsets.UTF_8));
            long value = 0;
            for (int i = 0; i < 8; i++) {
                value = (value << 8) | (digest[i] & 0xff);
            }
            return value;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
