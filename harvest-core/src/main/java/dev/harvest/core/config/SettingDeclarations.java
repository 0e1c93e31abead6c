package dev.harvest.core.config;

import dev.harvest.api.SettingDefinition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Every site setting that the engine and the loaded plugins declare, with who declared it. A configuration file is
 * checked against it, and {@code harvester config --list} prints it.
 */
public final class SettingDeclarations {

    /**
     * One declared key.
     *
     * @param definition the key, its default and its description (the first declarer's)
     * @param owners who declares it, e.g. {@code harvest-core} or {@code queue redis}; a key shared by two backends
     *     has two
     * @param defaultValue the default the engine applies: the declared one when every declarer agrees, else none
     */
    public record Declared(SettingDefinition definition, List<String> owners, String defaultValue) {}

    private final Map<String, Declared> byKey = new LinkedHashMap<>();
    private final Set<String> owners = new LinkedHashSet<>();

    /** @return declarations holding the engine's own settings */
    public static SettingDeclarations engine() {
        return new SettingDeclarations().add(EngineSettings.OWNER, EngineSettings.ALL);
    }

    /**
     * Adds what one plugin declares.
     *
     * @param owner who declares them, e.g. {@code harvester ckan}
     * @param definitions the settings
     * @return this
     */
    public SettingDeclarations add(String owner, Collection<SettingDefinition> definitions) {
        owners.add(owner);
        for (SettingDefinition definition : definitions) {
            Declared known = byKey.get(definition.key());
            if (known == null) {
                byKey.put(definition.key(), new Declared(definition, List.of(owner), definition.defaultValue()));
            } else if (!known.owners().contains(owner)) {
                List<String> together = new ArrayList<>(known.owners());
                together.add(owner);
                String agreed = Objects.equals(known.defaultValue(), definition.defaultValue())
                        ? known.defaultValue() : null;
                byKey.put(definition.key(), new Declared(known.definition(), List.copyOf(together), agreed));
            }
        }
        return this;
    }

    /**
     * @param key a configuration key
     * @return whether anybody declares it
     */
    public boolean isDeclared(String key) {
        return byKey.containsKey(key);
    }

    /**
     * @param key a configuration key
     * @return the default the engine applies when the file does not set the key
     */
    public Optional<String> defaultValue(String key) {
        Declared declared = byKey.get(key);
        return declared == null ? Optional.empty() : Optional.ofNullable(declared.defaultValue());
    }

    /** @return every declared key, in declaration order: the engine's first, then each plugin's */
    public List<Declared> all() {
        return List.copyOf(byKey.values());
    }

    /** @return who declared settings (plugins that declare none are listed too), for messages */
    public List<String> owners() {
        return List.copyOf(owners);
    }
}
