package io.tern.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded input mutation for the fuzz tests of every entry point. A run is reproducible from its
 * seed; the defaults keep the suite short, and a longer run is
 * {@code -Dtern.fuzz.iterations=200000 -Dtern.fuzz.seed=N} (see docs/operations.md).
 */
public final class Fuzz {
    private static final byte[] INTERESTING = {0, 1, 2, 0x7f, (byte) 0x80, (byte) 0xff, (byte) 0xfe, '/', '+', '#',
            '{', '"', ':', '\r', '\n', (byte) 0xc0, (byte) 0xed};

    private final Random random;
    private final long seed;

    private Fuzz(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
    }

    /** The run's generator: {@code tern.fuzz.seed} if set, else a fixed seed so CI is repeatable. */
    public static Fuzz fromSystemProperties() {
        return new Fuzz(Long.getLong("tern.fuzz.seed", 20261127L));
    }

    /** {@code tern.fuzz.iterations}, or {@code defaultCount} for the regular suite. */
    public static int iterations(int defaultCount) {
        return Integer.getInteger("tern.fuzz.iterations", defaultCount);
    }

    public long seed() {
        return seed;
    }

    public Random random() {
        return random;
    }

    public <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    public byte[] randomBytes(int maxLength) {
        byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        random.nextBytes(bytes);
        return bytes;
    }

    /** One to four mutations: flip a bit, set an interesting byte, insert, delete, truncate, duplicate. */
    public byte[] mutate(byte[] input) {
        byte[] result = input.clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            if (result.length == 0) {
                result = randomBytes(8);
                continue;
            }
            int at = random.nextInt(result.length);
            switch (random.nextInt(6)) {
                case 0 -> result[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> result[at] = INTERESTING[random.nextInt(INTERESTING.length)];
                case 2 -> {
                    byte[] longer = new byte[result.length + 1];
                    System.arraycopy(result, 0, longer, 0, at);
                    longer[at] = (byte) random.nextInt(256);
                    System.arraycopy(result, at, longer, at + 1, result.length - at);
                    result = longer;
                }
                case 3 -> {
                    byte[] shorter = new byte[result.length - 1];
                    System.arraycopy(result, 0, shorter, 0, at);
                    System.arraycopy(result, at + 1, shorter, at, result.length - at - 1);
                    result = shorter;
                }
                case 4 -> result = java.util.Arrays.copyOf(result, at);
                default -> {
                    int length = Math.min(result.length - at, 1 + random.nextInt(16));
                    byte[] doubled = new byte[result.length + length];
                    System.arraycopy(result, 0, doubled, 0, at + length);
                    System.arraycopy(result, at, doubled, at + length, result.length - at);
                    result = doubled;
                }
            }
        }
        return result;
    }

    /**
     * Runs {@code iterations} inputs, each made by {@code next}, through {@code check}. A
     * failure is rethrown naming the seed, the iteration and the input (hex), to replay it.
     */
    public void run(int iterations, java.util.function.Function<Fuzz, byte[]> next,
                    java.util.function.Consumer<byte[]> check) {
        for (int i = 0; i < iterations; i++) {
            byte[] input = next.apply(this);
            try {
                check.accept(input);
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("seed " + seed + " iteration " + i + " input "
                        + java.util.HexFormat.of().formatHex(input), e);
            }
        }
    }

    /** Splits bytes into one to five reads, as a network would. */
    public List<byte[]> chunks(byte[] bytes) {
        List<byte[]> chunks = new ArrayList<>();
        int pieces = 1 + random.nextInt(5);
        int start = 0;
        for (int i = 0; i < pieces - 1 && start < bytes.length; i++) {
            int end = start + random.nextInt(bytes.length - start + 1);
            chunks.add(java.util.Arrays.copyOfRange(bytes, start, end));
            start = end;
        }
        chunks.add(java.util.Arrays.copyOfRange(bytes, start, bytes.length));
        return chunks;
    }
}
