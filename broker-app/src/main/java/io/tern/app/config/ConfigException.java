package io.tern.app.config;

/** A configuration problem, worded for the operator: names the key and the bad value. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
