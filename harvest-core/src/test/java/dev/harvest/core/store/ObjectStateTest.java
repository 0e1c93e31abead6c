package dev.harvest.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The object state machine, checked for every pair of states. */
class ObjectStateTest {

    @Test
    void onlyTheDocumentedTransitionsAreAllowed() {
        assertAllowed(ObjectState.WAITING, EnumSet.of(ObjectState.FETCH, ObjectState.ERROR));
        assertAllowed(ObjectState.FETCH, EnumSet.of(ObjectState.WAITING, ObjectState.FETCH, ObjectState.IMPORT,
                ObjectState.COMPLETE, ObjectState.ERROR));
        assertAllowed(ObjectState.IMPORT,
                EnumSet.of(ObjectState.WAITING, ObjectState.FETCH, ObjectState.COMPLETE, ObjectState.ERROR));
        assertAllowed(ObjectState.COMPLETE, EnumSet.noneOf(ObjectState.class));
        assertAllowed(ObjectState.ERROR, EnumSet.noneOf(ObjectState.class));
    }

    @Test
    void completeAndErrorAreTheTerminalStates() {
        for (ObjectState state : ObjectState.values()) {
            assertEquals(state == ObjectState.COMPLETE || state == ObjectState.ERROR, state.isTerminal(), state.name());
        }
    }

    private static void assertAllowed(ObjectState from, Set<ObjectState> allowed) {
        for (ObjectState to : ObjectState.values()) {
            assertEquals(allowed.contains(to), ObjectState.isAllowed(from, to), from + " -> " + to);
        }
    }
}
