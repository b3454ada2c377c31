package io.tern.core.auth.password;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordHashTest {
    /** Written by mosquitto_passwd 2.0.11 for the password "secret" (-H sha512-pbkdf2, its default). */
    static final String MOSQUITTO_PBKDF2 =
            "$7$101$rO+ldNK/S9R7lANH$Yaa7+31Jth8g9Oecv+5Xe+oAMCrm0tRha6qJxG2guGN5YgnsxBZ+pZZ91zPIk0YHOnMH2fvDO1LbVMgc0Bgrjg==";
    /** Written by mosquitto_passwd 2.0.11 -H sha512 for the password "secret". */
    static final String MOSQUITTO_SHA512 =
            "$6$HHpwduSVonLFb1XH$NUajxs9+AvaCNoVFrSPeCKruNyCCzTWoGubtflFWOEeugzuFYEKWBF7d4uxZFtRG4N4+L1wOHuw58qZBZG27pQ==";

    private static byte[] bytes(String s) {
        return utf8(s);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsMosquittoHashes() {
        PasswordHash pbkdf2 = PasswordHash.parse(MOSQUITTO_PBKDF2);
        assertThat(pbkdf2).isInstanceOf(PasswordHash.Pbkdf2Sha512.class);
        assertThat(pbkdf2.verify(utf8("secret"))).isTrue();
        assertThat(pbkdf2.verify(utf8("Secret"))).isFalse();
        assertThat(pbkdf2.encoded()).isEqualTo(MOSQUITTO_PBKDF2);
        PasswordHash sha512 = PasswordHash.parse(MOSQUITTO_SHA512);
        assertThat(sha512).isInstanceOf(PasswordHash.SaltedSha512.class);
        assertThat(sha512.verify(utf8("secret"))).isTrue();
        assertThat(sha512.verify(utf8("secret "))).isFalse();
        assertThat(sha512.encoded()).isEqualTo(MOSQUITTO_SHA512);
    }

    @Test
    void createsSaltedHashesThatVerifyOnlyTheirPassword() {
        PasswordHash first = PasswordHash.create(utf8("hunter2"), 1_000);
        PasswordHash second = PasswordHash.create(utf8("hunter2"), 1_000);
        assertThat(first.encoded()).startsWith("$7$1000$").isNotEqualTo(second.encoded()); // random salt
        assertThat(first.verify(utf8("hunter2"))).isTrue();
        assertThat(first.verify(utf8("hunter3"))).isFalse();
        assertThat(PasswordHash.parse(first.encoded()).verify(utf8("hunter2"))).isTrue();
    }

    @Test
    void binaryAndEmptyPasswordsAreHashedAsBytes() {
        byte[] binary = {(byte) 0xff, 0, (byte) 0xc3, 0x28}; // not UTF-8: MQTT passwords are binary data
        PasswordHash hash = PasswordHash.create(binary, 1_000);
        assertThat(hash.verify(binary)).isTrue();
        assertThat(hash.verify(new byte[] {(byte) 0xfe, 0, (byte) 0xc3, 0x28})).isFalse();
        PasswordHash empty = PasswordHash.create(new byte[0], 1_000);
        assertThat(empty.verify(new byte[0])).isTrue();
        assertThat(empty.verify(bytes("x"))).isFalse();
        // (HMAC pads keys with zeros, so trailing NUL bytes never change a PBKDF2 key: as in OpenSSL.)
    }

    @Test
    void unknownOrDamagedFormatsAreNotHashes() {
        assertThat(PasswordHash.parse("secret")).isNull();
        assertThat(PasswordHash.parse("$5$abc$def")).isNull();
        assertThat(PasswordHash.parse("$7$x$abc$def")).isNull();
        assertThat(PasswordHash.parse("$7$0$YWJj$ZGVm")).isNull();
        assertThat(PasswordHash.parse("$7$101$not base64!$ZGVm")).isNull();
        assertThat(PasswordHash.parse("$6$YWJj$ZGVm")).isNull(); // a SHA-512 is 64 bytes
    }
}
