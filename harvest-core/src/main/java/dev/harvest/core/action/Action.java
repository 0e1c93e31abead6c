package dev.harvest.core.action;

import dev.harvest.core.auth.Actor;

/** One named action: checks who calls it, does it, and returns a JSON-ready result (maps, lists, text, numbers). */
@FunctionalInterface
public interface Action {

    /**
     * @param params the parameters
     * @param actor who calls
     * @return the result, as CKAN's {@code result}
     * @throws ActionException when refused
     */
    Object run(Params params, Actor actor);
}
