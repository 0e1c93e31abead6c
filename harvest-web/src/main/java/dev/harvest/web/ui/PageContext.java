package dev.harvest.web.ui;

/**
 * What every page's layout shows besides its content.
 *
 * @param userName the logged-in user, or null
 * @param sysadmin whether the user is a sysadmin
 * @param csrf the session's CSRF token, for the hidden field of every form
 * @param refreshSeconds a meta refresh after this many seconds (a running job's page), or 0
 * @param flash a one-time message of the last action (e.g. "Harvest will start shortly"), or null
 */
public record PageContext(String userName, boolean sysadmin, String csrf, int refreshSeconds, String flash) {

    /** @return whether someone is logged in */
    public boolean loggedIn() {
        return userName != null;
    }

    /**
     * @param seconds a meta refresh interval
     * @return this context refreshing the page every {@code seconds}
     */
    public PageContext refreshingEvery(int seconds) {
        return new PageContext(userName, sysadmin, csrf, seconds, flash);
    }
}
