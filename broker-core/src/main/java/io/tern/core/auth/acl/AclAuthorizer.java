package io.tern.core.auth.acl;

import io.tern.core.auth.Authorizer;
import io.tern.core.auth.ClientPermissions;

/** Authorizes by an ACL file (see {@link AclFile} for the syntax). */
public final class AclAuthorizer implements Authorizer {
    private final AclFile acl;

    public AclAuthorizer(AclFile acl) {
        this.acl = acl;
    }

    @Override
    public ClientPermissions permissionsFor(String clientId, String username) {
        return new AclPermissions(acl.rulesFor(clientId, username));
    }
}
