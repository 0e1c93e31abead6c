package dev.harvest.core.store;

/** The state of a harvest object, with ckanext-harvest's exact values. */
public enum ObjectState {
    WAITING,
    FETCH,
    IMPORT,
    COMPLETE,
    ERROR;

    /** @return whether the object is done (COMPLETE or ERROR) */
    public boolean isTerminal() {
        return this == COMPLETE || this == ERROR;
    }

    /**
     * The legal transitions. Every write of a state is a compare-and-set from one of these {@code from} states, so
     * this table is the whole state machine:
     * WAITING→FETCH (claim), FETCH→FETCH and IMPORT→FETCH (reclaim after an expired lease), FETCH→IMPORT,
     * FETCH→COMPLETE (unchanged), IMPORT→COMPLETE, FETCH→WAITING and IMPORT→WAITING (a worker gives the object
     * back after the engine failed), and anything unfinished→ERROR (failure, retry limit, abort, timeout).
     *
     * @param from the current state
     * @param to the wanted state
     * @return whether the engine may move an object from {@code from} to {@code to}
     */
    public static boolean isAllowed(ObjectState from, ObjectState to) {
        return switch (from) {
            case WAITING -> to == FETCH || to == ERROR;
            case FETCH -> to == WAITING || to == FETCH || to == IMPORT || to == COMPLETE || to == ERROR;
            case IMPORT -> to == WAITING || to == FETCH || to == COMPLETE || to == ERROR;
            case COMPLETE, ERROR -> false;
        };
    }
}
