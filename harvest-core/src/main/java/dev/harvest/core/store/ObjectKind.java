package dev.harvest.core.store;

/**
 * What a harvest object stands for, stored in {@code harvest_object.kind}. Deletions used to be ordinary objects
 * with a reserved extra {@code status=delete}; as a kind of their own, a plugin's extras are free again.
 */
public enum ObjectKind {
    /** A remote record to fetch and import. */
    HARVEST("harvest"),
    /** A remote record that vanished: the engine deletes its local dataset after {@code confirmVanished}. */
    DELETE("delete");

    private final String value;

    ObjectKind(String value) {
        this.value = value;
    }

    /** @return the stored value */
    public String value() {
        return value;
    }

    /**
     * @param value a stored value; null counts as {@link #HARVEST}
     * @return the kind
     */
    public static ObjectKind of(String value) {
        return DELETE.value.equals(value) ? DELETE : HARVEST;
    }
}
