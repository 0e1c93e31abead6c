package dev.harvest.core.action;

import dev.harvest.core.Harvest;
import dev.harvest.core.HarvestException;
import dev.harvest.core.auth.Actor;
import dev.harvest.core.auth.UserStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * ckanext-harvest's action API (spec §5) without HTTP: every harvest action by its CKAN name, taking a parameter
 * map and the caller, returning JSON-ready values (maps, lists, text, numbers, booleans) in the original's shapes and
 * refusing with an {@link ActionException} whose kind is CKAN's. An application can mount it in its own server;
 * {@code harvester serve} mounts it at {@code /api/3/action/{name}}.
 *
 * <pre>{@code
 * HarvestActions actions = new HarvestActions(harvest, new UserStore(harvest.stores().database(), clock));
 * Object result = actions.call("harvest_source_show", Map.of("id", "my-portal"), Actor.anonymous());
 * }</pre>
 */
public final class HarvestActions {

    private final Map<String, ActionDefinition> actions = new TreeMap<>();

    /**
     * @param harvest the engine
     * @param users the users, for the notification recipients
     */
    public HarvestActions(Harvest harvest, UserStore users) {
        ActionSupport support = new ActionSupport(harvest, users);
        new SourceActions(support).register(this::read, this::write);
        new JobActions(support).register(this::read, this::write);
        new ObjectActions(support).register(this::read, this::write);
    }

    private void read(String name, Action action) {
        actions.put(name, new ActionDefinition(name, true, action));
    }

    private void write(String name, Action action) {
        actions.put(name, new ActionDefinition(name, false, action));
    }

    /**
     * @param name an action name
     * @return the action, or empty if there is none by that name
     */
    public Optional<ActionDefinition> find(String name) {
        return Optional.ofNullable(actions.get(name));
    }

    /** @return every action's name, sorted */
    public List<String> names() {
        return List.copyOf(actions.keySet());
    }

    /**
     * Runs an action.
     *
     * @param name the action
     * @param params its parameters
     * @param actor who calls
     * @return its result
     * @throws ActionException.NotFound if there is no such action, and whatever the action refuses with
     */
    public Object call(String name, Map<String, ?> params, Actor actor) {
        ActionDefinition definition = find(name)
                .orElseThrow(() -> new ActionException.NotFound("Action name not known: " + name));
        try {
            return definition.action().run(new Params(params), actor);
        } catch (HarvestException e) {
            throw ActionSupport.translate(e);
        }
    }
}
