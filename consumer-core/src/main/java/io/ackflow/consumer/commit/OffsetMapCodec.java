package io.ackflow.consumer.commit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.BitSet;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Encodes which offsets above a partition's committed offset are already acked, for the commit's
 * metadata string, and decodes it for the partition's next owner.
 * <p>
 * The input is an <em>offset map</em>: bit {@code i} set when offset {@code base + i} is acked,
 * {@code base} being the committed offset (the first record not acked, so bit 0 is never set).
 * Each encoding writes it as bytes; both are tried raw and, unless one is already short, deflated
 * (fastest level), and the shortest text wins. The text is {@value #PREFIX}, one character naming the encoding, then the bytes in
 * URL-safe Base64 without padding; the prefix carries the format version, so a future format or
 * another tool's metadata is recognised and ignored. When even the shortest text is longer than
 * the limit, the metadata is left empty: plain at-least-once for that commit.
 * <ul>
 * <li>{@code B}: the bit set's bytes, little-endian ({@link BitSet#toByteArray()}). Dense patterns.</li>
 * <li>{@code R}: run lengths as unsigned varints, alternating not-acked and acked runs, starting
 * with a not-acked run at bit 0. Long runs, few gaps.</li>
 * <li>{@code b}, {@code r}: the same, deflated.</li>
 * </ul>
 * Stateless and thread-safe; the poll thread encodes at each commit.
 */
public final class OffsetMapCodec {

    /** Start of every metadata string this codec writes; names the format version. */
    public static final String PREFIX = "ackflow1:";

    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

    private static final Base64.Decoder BASE64_DECODER = Base64.getUrlDecoder();

    /** A raw encoding this short is kept without trying to deflate it. */
    private static final int SMALL = 64;

    private final int maxChars;

    /** @param maxChars the longest metadata string to write (the broker's {@code offset.metadata.max.bytes}) */
    public OffsetMapCodec(int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be positive, was " + maxChars);
        }
        this.maxChars = maxChars;
    }

    /**
     * The shortest encoding of {@code acked}, or {@code ""} when nothing is acked or no encoding
     * fits in the limit.
     */
    public String encode(BitSet acked) {
        if (acked.isEmpty()) {
            return "";
        }
        byte[] bits = acked.toByteArray();
        byte[] runs = runLengths(acked);
        String best = shorter(text('B', bits), text('R', runs));
        if (best.length() > SMALL) {
            // Deflate only what is worth it: it costs more than both raw encodings together.
            best = shorter(best, text('b', deflate(bits)));
            best = shorter(best, text('r', deflate(runs)));
        }
        return (best.length() <= this.maxChars) ? best : "";
    }

    /**
     * The offset map in {@code metadata}, or null when it is not one of ours (empty, another tool's,
     * another version, or damaged).
     */
    public static BitSet decode(String metadata) {
        if (metadata == null || !metadata.startsWith(PREFIX) || metadata.length() < PREFIX.length() + 1) {
            return null;
        }
        char encoding = metadata.charAt(PREFIX.length());
        byte[] bytes;
        try {
            bytes = BASE64_DECODER.decode(metadata.substring(PREFIX.length() + 1).getBytes(StandardCharsets.US_ASCII));
            return switch (encoding) {
                case 'B' -> BitSet.valueOf(bytes);
                case 'R' -> fromRunLengths(bytes);
                case 'b' -> BitSet.valueOf(inflate(bytes));
                case 'r' -> fromRunLengths(inflate(bytes));
                default -> null;
            };
        }
        catch (IllegalArgumentException | DataFormatException ex) {
            return null;
        }
    }

    private static String text(char encoding, byte[] bytes) {
        return PREFIX + encoding + BASE64.encodeToString(bytes);
    }

    private static String shorter(String a, String b) {
        return (b.length() < a.length()) ? b : a;
    }

    /** Alternating run lengths, not-acked first, as unsigned varints; the last run is an acked one. */
    static byte[] runLengths(BitSet acked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        while (from < acked.length()) {
            int set = acked.nextSetBit(from);
            int clear = acked.nextClearBit(set);
            writeVarint(out, set - from);
            writeVarint(out, clear - set);
            from = clear;
        }
        return out.toByteArray();
    }

    private static BitSet fromRunLengths(byte[] bytes) {
        BitSet acked = new BitSet();
        int[] position = { 0 };
        int bit = 0;
        while (position[0] < bytes.length) {
            bit += readVarint(bytes, position);
            int run = readVarint(bytes, position);
            if (bit < 0 || run < 0 || (long) bit + run > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("run lengths out of range");
            }
            acked.set(bit, bit + run);
            bit += run;
        }
        return acked;
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        int rest = value;
        while ((rest & ~0x7F) != 0) {
            out.write((rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out.write(rest);
    }

    private static int readVarint(byte[] bytes, int[] position) {
        int value = 0;
        for (int shift = 0; shift < 32; shift += 7) {
            if (position[0] >= bytes.length) {
                throw new IllegalArgumentException("truncated varint");
            }
            byte b = bytes[position[0]++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }

    private static byte[] deflate(byte[] bytes) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(bytes);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 2 + 16);
            byte[] buffer = new byte[512];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        }
        finally {
            deflater.end();
        }
    }

    /** Inflates, refusing output above 1 MiB (an offset map never comes near it). */
    private static byte[] inflate(byte[] bytes) throws DataFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(bytes);
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4 + 16);
            byte[] buffer = new byte[512];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(buffer, 0, n);
                if (out.size() > (1 << 20)) {
                    throw new DataFormatException("offset map larger than 1 MiB");
                }
            }
            return out.toByteArray();
        }
        finally {
            inflater.end();
        }
    }

}
