import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ChecksumType;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.IndexType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileWriter;

/**
 * Writes the RocksDB fixtures Cairn's SST reader is tested against, with the RocksDB JNI that Flink 2.3 bundles
 * (FRocksDB 8.10). See ../README.md.
 *
 *   java SSTGenerator fixtures OUT_DIR     single-table variants (OUT_DIR/sst) and a small database (OUT_DIR/db)
 *   java SSTGenerator big FILE MB          one large Snappy/XXH3 table of about MB megabytes (for measuring)
 */
public class SSTGenerator {
    /** The deterministic rule the tests recompute: entry i of every single-table variant. */
    static byte[] key(int i) { return String.format("key%06d", i).getBytes(StandardCharsets.US_ASCII); }

    static byte[] value(int i) {
        StringBuilder s = new StringBuilder("value-").append(i).append('-');
        char c = (char) ('a' + i % 10);
        for (int j = 0; j < i % 50; j++) s.append(c);
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static final int ENTRIES = 500;

    public static void main(String[] args) throws Exception {
        RocksDB.loadLibrary();
        if (args.length >= 2 && args[0].equals("fixtures")) {
            File out = new File(args[1]);
            writeVariants(new File(out, "sst"));
            writeDatabase(new File(out, "db"));
        } else if (args.length >= 3 && args[0].equals("big")) {
            writeBig(args[1], Integer.parseInt(args[2]));
        } else {
            System.err.println("usage: SSTGenerator fixtures OUT_DIR | big FILE MB");
            System.exit(2);
        }
    }

    /** One variant: file name, compression, checksum, format_version, index layout. */
    record Variant(String name, CompressionType compression, ChecksumType checksum, int formatVersion, String layout) {}

    static void writeVariants(File dir) throws Exception {
        dir.mkdirs();
        List<Variant> variants = List.of(
            new Variant("none-crc32c-v5", CompressionType.NO_COMPRESSION, ChecksumType.kCRC32c, 5, ""),
            new Variant("snappy-crc32c-v5", CompressionType.SNAPPY_COMPRESSION, ChecksumType.kCRC32c, 5, ""),
            new Variant("snappy-xxh3-v5", CompressionType.SNAPPY_COMPRESSION, ChecksumType.kXXH3, 5, ""),
            new Variant("lz4-xxhash-v5", CompressionType.LZ4_COMPRESSION, ChecksumType.kxxHash, 5, ""),
            new Variant("lz4hc-xxhash64-v4", CompressionType.LZ4HC_COMPRESSION, ChecksumType.kxxHash64, 4, ""),
            new Variant("zstd-xxh3-v6", CompressionType.ZSTD_COMPRESSION, ChecksumType.kXXH3, 6, ""),
            new Variant("snappy-xxh3-v6-partitioned", CompressionType.SNAPPY_COMPRESSION, ChecksumType.kXXH3, 6, "partitioned"),
            new Variant("snappy-crc32c-v5-firstkey", CompressionType.SNAPPY_COMPRESSION, ChecksumType.kCRC32c, 5, "firstkey"),
            new Variant("none-nochecksum-v3", CompressionType.NO_COMPRESSION, ChecksumType.kNoChecksum, 3, ""),
            new Variant("snappy-crc32c-v2", CompressionType.SNAPPY_COMPRESSION, ChecksumType.kCRC32c, 2, ""),
            new Variant("none-crc32c-v1", CompressionType.NO_COMPRESSION, ChecksumType.kCRC32c, 1, ""),
            new Variant("zlib-crc32c-v5", CompressionType.ZLIB_COMPRESSION, ChecksumType.kCRC32c, 5, ""));
        for (Variant v : variants) {
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockSize(1024)
                .setChecksumType(v.checksum())
                .setFormatVersion(v.formatVersion());
            if (v.layout().equals("partitioned")) {
                table.setIndexType(IndexType.kTwoLevelIndexSearch)
                    .setPartitionFilters(true)
                    .setMetadataBlockSize(128)
                    .setFilterPolicy(new BloomFilter(10))
                    .setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash);
            } else if (v.layout().equals("firstkey")) {
                table.setIndexType(IndexType.kBinarySearchWithFirstKey);
            }
            try (Options options = new Options().setCompressionType(v.compression()).setTableFormatConfig(table);
                 EnvOptions env = new EnvOptions();
                 SstFileWriter writer = new SstFileWriter(env, options)) {
                File f = new File(dir, v.name() + ".sst");
                writer.open(f.getPath());
                for (int i = 0; i < ENTRIES; i++) writer.put(key(i), value(i));
                writer.finish();
                System.out.println(f + " " + f.length() + " bytes");
            }
        }
    }

    static byte[] k(int i) { return String.format("k%04d", i).getBytes(StandardCharsets.US_ASCII); }
    static byte[] s(String text) { return text.getBytes(StandardCharsets.US_ASCII); }

    /**
     * A database of three column families written in four flushes (so several overlapping level-0 tables plus one
     * compacted table): puts, overwrites, deletes, single deletes, a range deletion, and merge operands with Flink's
     * merge operator "stringappendtest". expected.jsonl is what RocksDB's own iterator reads back.
     */
    static void writeDatabase(File dir) throws Exception {
        deleteTree(dir);
        BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockSize(1024).setFormatVersion(5).setChecksumType(ChecksumType.kXXH3);
        try (ColumnFamilyOptions cfo = new ColumnFamilyOptions()
                .setMergeOperatorName("stringappendtest")
                .setDisableAutoCompactions(true)
                .setCompressionType(CompressionType.SNAPPY_COMPRESSION)
                .setTableFormatConfig(table);
             DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
            List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo),
                new ColumnFamilyDescriptor(s("values"), cfo),
                new ColumnFamilyDescriptor(s("lists"), cfo));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.open(dbo, dir.getPath(), descriptors, handles);
                 FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
                ColumnFamilyHandle def = handles.get(0), values = handles.get(1), lists = handles.get(2);
                // Round 0: base values, first list elements, two binary keys around the printable ones.
                db.put(def, s("meta"), s("x"));
                for (int i = 0; i < 200; i++) db.put(values, k(i), s("v0-" + i));
                db.put(values, new byte[] {0x00}, s("low"));
                db.put(values, new byte[] {(byte) 0xFF, 0x01}, s("high"));
                for (int i = 0; i < 100; i++) db.merge(lists, k(i), s("a0-" + i));
                db.flush(flush, handles);
                // Round 1: overwrites, deletes, more list elements, a base value under later operands.
                for (int i = 0; i < 200; i += 3) db.put(values, k(i), s("v1-" + i));
                for (int i = 0; i < 200; i += 7) db.delete(values, k(i));
                for (int i = 0; i < 100; i += 2) db.merge(lists, k(i), s("a1-" + i));
                for (int i = 0; i < 100; i += 10) db.put(lists, k(i), s("b1-" + i));
                db.flush(flush, handles);
                db.compactRange(values);
                // Round 2: a range deletion with a newer put inside it, single deletes, merges on plain values.
                db.deleteRange(values, k(50), k(80));
                db.put(values, k(60), s("v2-60"));
                for (int i = 191; i < 195; i++) db.singleDelete(values, k(i));
                db.merge(values, k(5), s("m2-5"));
                for (int i = 0; i < 100; i += 3) db.merge(lists, k(i), s("a2-" + i));
                for (int i = 1; i <= 10; i++) db.delete(lists, k(i));
                db.flush(flush, handles);
                // Round 3: new keys, operands on deleted keys (they stand alone), one more list round.
                for (int i = 300; i < 320; i++) db.put(values, k(i), s("v3-" + i));
                db.merge(values, k(7), s("m3-7"));
                db.merge(values, k(65), s("m3-65"));
                for (int i = 0; i < 100; i += 5) db.merge(lists, k(i), s("a3-" + i));
                db.flush(flush, handles);

                try (PrintWriter out = new PrintWriter(new File(dir, "expected.jsonl"), StandardCharsets.UTF_8)) {
                    String[] names = {"default", "values", "lists"};
                    for (int c = 0; c < handles.size(); c++) {
                        try (RocksIterator it = db.newIterator(handles.get(c))) {
                            for (it.seekToFirst(); it.isValid(); it.next()) {
                                out.printf("{\"cf\":\"%s\",\"key\":\"%s\",\"value\":\"%s\"}%n", names[c], hex(it.key()), hex(it.value()));
                            }
                        }
                    }
                }
                for (ColumnFamilyHandle h : handles) h.close();
            }
        }
        // Keep only what a reader needs: CURRENT, the MANIFEST and the tables (no WAL, LOG, LOCK, OPTIONS).
        for (File f : dir.listFiles()) {
            String n = f.getName();
            if (!(n.equals("CURRENT") || n.startsWith("MANIFEST-") || n.endsWith(".sst") || n.equals("expected.jsonl"))) f.delete();
        }
    }

    /** A large table for throughput measurements: Flink 2.x defaults (Snappy, XXH3, format_version 5, 4 KiB blocks). */
    static void writeBig(String path, int megabytes) throws Exception {
        BlockBasedTableConfig table = new BlockBasedTableConfig().setChecksumType(ChecksumType.kXXH3).setFormatVersion(5);
        Random random = new Random(42);
        try (Options options = new Options().setCompressionType(CompressionType.SNAPPY_COMPRESSION).setTableFormatConfig(table);
             EnvOptions env = new EnvOptions();
             SstFileWriter writer = new SstFileWriter(env, options)) {
            writer.open(path);
            long target = (long) megabytes << 20;
            byte[] words = s("flink state value with some repetition ");
            for (long i = 0; ; i++) {
                byte[] key = String.format("%02x-user-%012d", i % 256, i).getBytes(StandardCharsets.US_ASCII);
                key[0] = 0; key[1] = 0;  // a constant key-group prefix, then increasing keys
                byte[] value = new byte[40 + random.nextInt(120)];
                for (int j = 0; j < value.length; j++) value[j] = j % 3 == 0 ? (byte) random.nextInt(256) : words[j % words.length];
                writer.put(key, value);
                if ((i & 1023) == 0 && writer.fileSize() >= target) break;
            }
            writer.finish();
        }
        System.out.println(path + " " + new File(path).length() + " bytes");
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xFF));
        return s.toString();
    }

    static void deleteTree(File f) throws IOException {
        if (!f.exists()) return;
        if (f.isDirectory()) for (File c : f.listFiles()) deleteTree(c);
        if (!f.delete()) throw new IOException("cannot delete " + f);
    }
}
