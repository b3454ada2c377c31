package io.tern.core.auth.acl;

/**
 * One {@code topic} or {@code pattern} line. A pattern's filter may contain {@code %u} (username)
 * and {@code %c} (client id), filled in per client.
 */
public record AclRule(AclAccess access, String filter, boolean pattern) {

    /** This rule for one client, or null when a placeholder cannot be filled safely. */
    AclRule forClient(String clientId, String username) {
        if (!pattern) {
            return this;
        }
        String result = filter;
        if (result.contains("%u")) {
            if (!isPlainLevel(username)) {
                return null;
            }
            result = result.replace("%u", username);
        }
        if (result.contains("%c")) {
            if (!isPlainLevel(clientId)) {
                return null;
            }
            result = result.replace("%c", clientId);
        }
        return new AclRule(access, result, false);
    }

    /**
     * A username or client id containing a level separator or a wildcard would widen the rule
     * (a user named "#" must not be granted everything), so such a value fills in nothing.
     */
    private static boolean isPlainLevel(String value) {
        return value != null && !value.isEmpty() && value.indexOf('/') < 0 && value.indexOf('+') < 0
                && value.indexOf('#') < 0;
    }
}
