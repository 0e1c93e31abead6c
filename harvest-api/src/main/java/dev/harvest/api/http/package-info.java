/**
 * What a plugin's outbound HTTP may reach: the {@link dev.harvest.api.http.OutboundPolicy} every harvester and
 * catalog that talks to remote servers applies, whatever HTTP client it uses.
 *
 * <p>A source URL is data entered by users, and a remote server chooses where its redirects lead. Without a policy,
 * a harvest source is a way to make the harvest server send requests into its own network (server-side request
 * forgery): to a database admin page on a loopback port, to a cloud metadata service at {@code 169.254.169.254}, to
 * hosts behind the firewall. The policy refuses such addresses by default, after DNS resolution (so a host name that
 * resolves to a private address is refused too) and again at every redirect.
 *
 * <p>A plugin obtains the site's policy with {@link dev.harvest.api.http.OutboundPolicy#from(dev.harvest.api.Settings)}
 * in {@link dev.harvest.api.Harvester#start(dev.harvest.api.Settings)} or
 * {@link dev.harvest.api.catalog.CatalogProvider#open(dev.harvest.api.catalog.CatalogContext)}, and applies it where
 * its HTTP client resolves host names and follows redirects. The engine declares the keys; plugins need not.
 */
package dev.harvest.api.http;
