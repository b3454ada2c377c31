package io.tern.core.auth.acl;

import java.util.Locale;

/** The access word of an ACL line: {@code topic [read|write|readwrite|deny] FILTER}. */
public enum AclAccess {
    READ, WRITE, READWRITE, DENY;

    boolean grantsRead() {
        return this == READ || this == READWRITE;
    }

    boolean grantsWrite() {
        return this == WRITE || this == READWRITE;
    }

    static AclAccess parse(String word) {
        try {
            return valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
