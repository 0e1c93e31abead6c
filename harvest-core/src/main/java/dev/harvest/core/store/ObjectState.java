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
        return Transitions.TERMINAL.contains(this);
    }

    /**
     * Whether the engine may move an object from {@code from} to {@code to}; see {@link Transitions}.
     *
     * @param from the current state
     * @param to the wanted state
     * @return whether the move is allowed
     */
    public static boolean isAllowed(ObjectState from, ObjectState to) {
        return Transitions.isAllowed(from, to);
    }
}
