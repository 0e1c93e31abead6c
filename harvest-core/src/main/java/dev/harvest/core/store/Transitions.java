package dev.harvest.core.store;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The state machines of objects and jobs, in one place. Every compare-and-set the stores run takes its
 * {@code WHERE state IN (...)} from here, so the transition tables below are the whole truth about which state may
 * follow which, and the exhaustive transition test exercises the production statements.
 */
public final class Transitions {

    private Transitions() {}

    /** The object transitions the engine makes, each from a set of states to a set of states. */
    public enum ObjectTransition {
        /** A worker takes a waiting object (a row with no state counts as waiting, as in ckanext-harvest). */
        CLAIM(EnumSet.of(ObjectState.WAITING), EnumSet.of(ObjectState.FETCH)),
        /** A worker takes over an object whose previous worker's lease expired. */
        RECLAIM(EnumSet.of(ObjectState.FETCH, ObjectState.IMPORT), EnumSet.of(ObjectState.FETCH)),
        /** The fetch stage is done; the import stage starts. */
        FETCHED(EnumSet.of(ObjectState.FETCH), EnumSet.of(ObjectState.IMPORT)),
        /** The object ends, successfully or not. */
        FINISH(EnumSet.of(ObjectState.FETCH, ObjectState.IMPORT), EnumSet.of(ObjectState.COMPLETE, ObjectState.ERROR)),
        /** A worker whose engine failed gives the object back at once. */
        GIVE_BACK(EnumSet.of(ObjectState.FETCH, ObjectState.IMPORT), EnumSet.of(ObjectState.WAITING)),
        /** The job was aborted or timed out, or the object arrived after that: it ends in error. */
        STOP(EnumSet.of(ObjectState.WAITING, ObjectState.FETCH, ObjectState.IMPORT), EnumSet.of(ObjectState.ERROR));

        private final Set<ObjectState> from;
        private final Set<ObjectState> to;

        ObjectTransition(Set<ObjectState> from, Set<ObjectState> to) {
            this.from = from;
            this.to = to;
        }

        /** @return the states this transition starts from */
        public Set<ObjectState> from() {
            return from;
        }

        /** @return the states this transition may lead to */
        public Set<ObjectState> to() {
            return to;
        }

        /**
         * The guard of the compare-and-set, for a {@code harvest_object} row.
         *
         * @param alias the table alias, or an empty string
         * @return e.g. {@code (o.state in ('WAITING') or o.state is null)}
         */
        public String guard(String alias) {
            String column = alias.isEmpty() ? "state" : alias + ".state";
            String in = column + " in (" + from.stream().map(s -> "'" + s.name() + "'")
                    .collect(Collectors.joining(", ")) + ")";
            return from.contains(ObjectState.WAITING) ? "(" + in + " or " + column + " is null)" : in;
        }
    }

    /** The job transitions. */
    public enum JobTransition {
        /** A job is sent to the gather queue. */
        START(EnumSet.of(JobStatus.NEW), JobStatus.RUNNING),
        /** The gather is done and every object is COMPLETE or ERROR; or the job timed out. */
        FINISH(EnumSet.of(JobStatus.RUNNING), JobStatus.FINISHED),
        /** An operator aborts the job, or its source is deactivated. */
        ABORT(EnumSet.of(JobStatus.NEW, JobStatus.RUNNING), JobStatus.ABORTED);

        private final Set<JobStatus> from;
        private final JobStatus to;

        JobTransition(Set<JobStatus> from, JobStatus to) {
            this.from = from;
            this.to = to;
        }

        /** @return the statuses this transition starts from */
        public Set<JobStatus> from() {
            return from;
        }

        /** @return the status it leads to */
        public JobStatus to() {
            return to;
        }

        /**
         * @param column the status column, e.g. {@code status} or {@code j.status}
         * @return e.g. {@code status in ('New', 'Running')}
         */
        public String guard(String column) {
            return column + " in (" + from.stream().map(s -> "'" + s.value() + "'")
                    .collect(Collectors.joining(", ")) + ")";
        }

        /** @return the target status as a SQL literal */
        public String target() {
            return "'" + to.value() + "'";
        }
    }

    /** The states in which an object is done. */
    public static final Set<ObjectState> TERMINAL = EnumSet.of(ObjectState.COMPLETE, ObjectState.ERROR);

    /**
     * @param from the current state
     * @param to the wanted state
     * @return whether any transition moves an object from {@code from} to {@code to}
     */
    public static boolean isAllowed(ObjectState from, ObjectState to) {
        return Arrays.stream(ObjectTransition.values()).anyMatch(t -> t.from.contains(from) && t.to.contains(to));
    }

    /**
     * @param from the current status
     * @param to the wanted status
     * @return whether any transition moves a job from {@code from} to {@code to}
     */
    public static boolean isAllowed(JobStatus from, JobStatus to) {
        return Arrays.stream(JobTransition.values()).anyMatch(t -> t.from.contains(from) && t.to == to);
    }

    /**
     * @param alias the table alias, or an empty string
     * @return the guard for an object that is done ({@link #TERMINAL}), e.g. {@code o.state in ('COMPLETE', 'ERROR')}
     */
    public static String finished(String alias) {
        String column = alias.isEmpty() ? "state" : alias + ".state";
        return column + " in (" + TERMINAL.stream().map(s -> "'" + s.name() + "'").collect(Collectors.joining(", "))
                + ")";
    }

    /**
     * @param alias the table alias, or an empty string
     * @return the guard for an object that is not done, e.g. {@code (o.state is null or o.state not in (...))}
     */
    public static String unfinished(String alias) {
        return ObjectTransition.STOP.guard(alias);
    }
}
