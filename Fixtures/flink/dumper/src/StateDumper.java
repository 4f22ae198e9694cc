/*
 * Cairn state dumper: prints every keyed-state entry of a Flink checkpoint/savepoint as JSON Lines, in the rendering
 * of docs/flink-values.md, using Flink's own classes (Checkpoints.loadCheckpointMetadata, KeyedBackendSerializationProxy,
 * TypeSerializerSnapshot.restoreSerializer, CompositeKeySerializationUtils, ListDelimitedSerializer, FullSnapshotUtil,
 * the stream compression decorators, RocksDB JNI). It is the JVM side of the comparison with Cairn's Swift decoders.
 *
 * Usage: java -cp "<flink>/lib/*:<job classes>:<dumper classes>" StateDumper SNAPSHOT_DIR
 *            [--relocate FROM=TO]... [--operator HEXID] [--state NAME] [--tmp DIR]
 *
 *   SNAPSHOT_DIR   the directory holding _metadata (a chk-N or savepoint directory)
 *   --relocate     absolute file handles starting with FROM are read from TO + the rest of the path (repeatable).
 *                  Without it, the fixtures' layout is assumed: file:/.../cairn-flink-gen/<v>/<scenario>/checkpoints/REST
 *                  (or savepoints/REST) is read from the scenario directory (the parent of <jobId>/chk-N, or of
 *                  savepoint-*) + REST, as check_fixtures.py does.
 *   --operator     only this operator (32-hex id)
 *   --state        only this state name
 *   --tmp          where RocksDB instances are materialized (default: java.io.tmpdir); removed afterwards
 *   --operator-state  after the keyed lines, also print operator state (list, union and broadcast state of
 *                  OperatorStreamStateHandles, incl. file-merging ones) as lines with "kind":"operator" (see below)
 *   --serializers  instead of the entries, print one line per (operator, state) with the restored serializers
 *                  ({"operator","state","type","key","namespace","value"}, e.g. "PojoSerializer<C>{f: IntSerializer, ...}")
 *
 * Formats: heap checkpoints (KeyGroupsStateHandle of the HashMap backend), canonical full snapshots
 * (KeyGroupsSavepointStateHandle, and 1.15's RocksDB full checkpoints), RocksDB native (IncrementalRemoteKeyedStateHandle:
 * incremental and full checkpoints, native savepoints; files may be file-merging segments), and the materialized part
 * of changelog handles (the non-materialized changelog is NOT replayed: a warning goes to stderr).
 * One source for Flink 1.15, 1.20 and 2.3: version differences are reached by reflection.
 *
 * Operator state lines (not part of docs/flink-values.md; only with --operator-state): one per list element,
 *   {"kind":"operator","operator":HEX,"state":NAME,"mode":"SPLIT_DISTRIBUTE"|"UNION","subtask":I,"index":J,"value":V}
 * and one per broadcast map entry,
 *   {"kind":"operator","operator":HEX,"state":NAME,"mode":"BROADCAST","subtask":I,"userKey":K,"value":V}
 * Compressed operator state (execution.checkpointing.snapshot-compression) is not read (a warning names it).
 * Exit status: 0 ok, 1 on any error (message on stderr).
 */

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.CompositeKeySerializationUtils;
import org.apache.flink.runtime.state.FullSnapshotUtil;
import org.apache.flink.runtime.state.KeyGroupRangeOffsets;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.ListDelimitedSerializer;
import org.apache.flink.runtime.state.SnappyStreamCompressionDecorator;
import org.apache.flink.runtime.state.StreamCompressionDecorator;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.UncompressedStreamCompressionDecorator;
import org.apache.flink.runtime.state.changelog.ChangelogStateBackendHandle;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;

import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public class StateDumper {

    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
    static final ClassLoader CL = StateDumper.class.getClassLoader();

    static File snapshotDir;
    static File scenarioDir;
    static final Map<String, String> relocations = new LinkedHashMap<>();
    static String onlyOperator;
    static String onlyState;
    static File tmpBase = new File(System.getProperty("java.io.tmpdir"));
    static long lines;
    static boolean serializersOnly;
    static boolean operatorState;
    static final java.util.Set<String> described = new java.util.HashSet<>();

    public static void main(String[] args) {
        try {
            run(args);
            OUT.flush();
            System.exit(0);
        } catch (Throwable t) {
            OUT.flush();
            System.err.println("StateDumper: " + t);
            t.printStackTrace();
            System.exit(1);
        }
    }

    static void run(String[] args) throws Exception {
        String dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--relocate": {
                    String v = args[++i];
                    int eq = v.indexOf('=');
                    relocations.put(v.substring(0, eq), v.substring(eq + 1));
                    break;
                }
                case "--operator": onlyOperator = args[++i]; break;
                case "--state": onlyState = args[++i]; break;
                case "--tmp": tmpBase = new File(args[++i]); break;
                case "--serializers": serializersOnly = true; break;
                case "--operator-state": operatorState = true; break;
                default:
                    if (args[i].startsWith("--") || dir != null) throw new IllegalArgumentException("unknown argument " + args[i]);
                    dir = args[i];
            }
        }
        if (dir == null) throw new IllegalArgumentException("usage: StateDumper SNAPSHOT_DIR [--relocate FROM=TO] [--operator ID] [--state NAME]");
        File f = new File(dir).getAbsoluteFile();
        if (f.isFile()) f = f.getParentFile();
        snapshotDir = f;
        File md = new File(f, "_metadata");
        if (!md.isFile()) throw new IOException("no _metadata in " + f);
        File parent = f.getParentFile();
        scenarioDir = parent.getName().matches("[0-9a-f]{32}") ? parent.getParentFile() : parent;

        CheckpointMetadata metadata;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(md)))) {
            metadata = Checkpoints.loadCheckpointMetadata(in, CL, f.toURI().toString());
        }
        for (OperatorState op : metadata.getOperatorStates()) {
            String opId = op.getOperatorID().toHexString();
            if (onlyOperator != null && !onlyOperator.equals(opId)) continue;
            TreeMap<Integer, OperatorSubtaskState> subtasks = new TreeMap<>(op.getSubtaskStates());
            for (Map.Entry<Integer, OperatorSubtaskState> e : subtasks.entrySet()) {
                for (KeyedStateHandle h : e.getValue().getManagedKeyedState()) {
                    dumpKeyed(opId, op.getMaxParallelism(), h);
                }
            }
        }
        if (operatorState && !serializersOnly) {
            for (OperatorState op : metadata.getOperatorStates()) {
                String opId = op.getOperatorID().toHexString();
                if (onlyOperator != null && !onlyOperator.equals(opId)) continue;
                TreeMap<Integer, OperatorSubtaskState> subtasks = new TreeMap<>(op.getSubtaskStates());
                for (Map.Entry<Integer, OperatorSubtaskState> e : subtasks.entrySet()) {
                    for (org.apache.flink.runtime.state.OperatorStateHandle h : e.getValue().getManagedOperatorState()) {
                        dumpOperatorState(opId, e.getKey(), h);
                    }
                }
            }
        }
        System.err.println("StateDumper: " + lines + " lines from " + f);
    }

    // ------------------------------------------------------------------------------------------ handles

    static void dumpKeyed(String opId, int maxParallelism, KeyedStateHandle h) throws Exception {
        if (h == null) return;
        currentOperator = opId;
        String cn = h.getClass().getSimpleName();
        if (h instanceof ChangelogStateBackendHandle) {
            ChangelogStateBackendHandle c = (ChangelogStateBackendHandle) h;
            int nonMaterialized = c.getNonMaterializedStateHandles().size();
            if (nonMaterialized > 0) {
                System.err.println("StateDumper: WARNING operator " + opId + ": " + nonMaterialized
                        + " non-materialized changelog handle(s) not replayed; only the materialized state is dumped");
            }
            for (KeyedStateHandle m : c.getMaterializedStateHandles()) dumpKeyed(opId, maxParallelism, m);
        } else if (h instanceof KeyGroupsStateHandle) {
            dumpKeyGroups(opId, maxParallelism, (KeyGroupsStateHandle) h);
        } else if (cn.startsWith("Incremental")) {
            dumpRocksDB(opId, maxParallelism, h);
        } else {
            throw new IOException("operator " + opId + ": unsupported keyed state handle " + h.getClass().getName());
        }
    }

    /** The bytes of a stream state handle, relocating absolute file paths of the fixtures. */
    static byte[] bytes(Object h) throws Exception {
        if (h == null) return new byte[0];
        String cn = h.getClass().getSimpleName();
        if (h instanceof ByteStreamStateHandle) return ((ByteStreamStateHandle) h).getData();
        if (cn.equals("EmptySegmentFileStateHandle")) return new byte[0];
        if (cn.equals("SegmentFileStateHandle")) {
            File file = local(String.valueOf(call(h, "getFilePath")));
            long start = (Long) call(h, "getStartPos");
            long size = (Long) call(h, "getStateSize");
            byte[] b = new byte[(int) size];
            try (RandomAccessFile raf = new RandomAccessFile(file, "r")) {
                raf.seek(start);
                raf.readFully(b);
            }
            return b;
        }
        if (h instanceof FileStateHandle) {
            return Files.readAllBytes(local(((FileStateHandle) h).getFilePath().toString()).toPath());
        }
        try (InputStream in = ((StreamStateHandle) h).openInputStream()) {
            return in.readAllBytes();
        }
    }

    /** Maps a handle's path to a local file (see the usage notes at the top). */
    static File local(String path) throws IOException {
        for (Map.Entry<String, String> r : relocations.entrySet()) {
            if (path.startsWith(r.getKey())) return new File(r.getValue() + path.substring(r.getKey().length()));
        }
        String p = path.startsWith("file:") ? java.net.URI.create(path).getPath() : path;
        File direct = new File(p);
        if (direct.isFile()) return direct;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^/.*?/cairn-flink-gen/[^/]+/[^/]+/(checkpoints|savepoints)/(.*)$").matcher(p);
        if (m.matches()) {
            File f = new File(scenarioDir, m.group(2));
            if (f.isFile()) return f;
            throw new IOException("missing file " + f + " (relocated from " + path + ")");
        }
        throw new IOException("missing file " + path + " (no relocation applies; use --relocate FROM=TO)");
    }

    static KeyedBackendSerializationProxy<Object> readProxy(InputStream in) throws Exception {
        KeyedBackendSerializationProxy<Object> proxy = new KeyedBackendSerializationProxy<>(CL);
        proxy.read(new DataInputViewStreamWrapper(in));
        return proxy;
    }

    /** Restored serializers of one state. */
    static final class StateInfo {
        String name;
        String kind;           // VALUE, LIST, MAP, AGGREGATING, REDUCING, ...; "PQ" for priority queues (timers)
        TypeSerializer<Object> namespace;
        TypeSerializer<Object> value;       // for PQ: the element serializer (TimerSerializer)
        TypeSerializer<Object> userKey;     // MAP only
        TypeSerializer<Object> userValue;   // MAP only (map value)
        TypeSerializer<Object> element;     // LIST only
        boolean skip;
    }

    @SuppressWarnings("unchecked")
    static TypeSerializer<Object> restore(TypeSerializerSnapshot<?> s) {
        return s == null ? null : (TypeSerializer<Object>) s.restoreSerializer();
    }

    static String currentOperator;

    @SuppressWarnings("unchecked")
    static List<StateInfo> states(KeyedBackendSerializationProxy<Object> proxy) throws Exception {
        List<StateInfo> out = new ArrayList<>();
        for (StateMetaInfoSnapshot s : proxy.getStateMetaInfoSnapshots()) {
            StateInfo i = new StateInfo();
            i.name = s.getName();
            i.skip = onlyState != null && !onlyState.equals(i.name);
            String bst = String.valueOf(s.getBackendStateType());
            i.value = restore(s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER));
            if (bst.startsWith("PRIORITY_QUEUE")) {
                i.kind = "PQ";
            } else {
                i.kind = s.getOption(StateMetaInfoSnapshot.CommonOptionsKeys.KEYED_STATE_TYPE);
                i.namespace = restore(s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.NAMESPACE_SERIALIZER));
                if ("MAP".equals(i.kind)) {
                    i.userKey = (TypeSerializer<Object>) call(i.value, "getKeySerializer");
                    i.userValue = (TypeSerializer<Object>) call(i.value, "getValueSerializer");
                } else if ("LIST".equals(i.kind)) {
                    i.element = (TypeSerializer<Object>) call(i.value, "getElementSerializer");
                }
            }
            out.add(i);
            if (serializersOnly && !i.skip && described.add(currentOperator + "/" + i.name)) {
                TypeSerializer<Object> key = restore(proxy.getKeySerializerSnapshot());
                StringBuilder sb = head(currentOperator, i.name, -1);
                sb.setLength(sb.indexOf(",\"keyGroup\""));
                sb.append(",\"type\":");
                str(i.kind, sb);
                sb.append(",\"key\":");
                str(describe(key), sb);
                sb.append(",\"namespace\":");
                str(i.namespace == null ? null + "" : describe(i.namespace), sb);
                sb.append(",\"value\":");
                str(describe(i.value), sb);
                sb.append('}');
                emit(sb);
            }
            if (serializersOnly) i.skip = true;
        }
        return out;
    }

    /** A readable tree of a restored serializer: simple class names, nested serializers in brackets. */
    @SuppressWarnings("unchecked")
    static String describe(TypeSerializer<?> s) {
        if (s == null) return "null";
        String sn = s.getClass().getSimpleName();
        try {
            switch (sn) {
                case "PojoSerializer": {
                    Field[] fields = (Field[]) field(s, "fields");
                    TypeSerializer<Object>[] fs = (TypeSerializer<Object>[]) field(s, "fieldSerializers");
                    StringBuilder b = new StringBuilder(sn + "<" + ((Class<?>) field(s, "clazz")).getSimpleName() + ">{");
                    for (int i = 0; i < fs.length; i++) {
                        if (i > 0) b.append(", ");
                        b.append(fields[i] == null ? "?" : fields[i].getName()).append(": ").append(describe(fs[i]));
                    }
                    return b.append('}').toString();
                }
                case "TupleSerializer": case "RowSerializer": case "TtlSerializer": {
                    TypeSerializer<Object>[] fs = (TypeSerializer<Object>[]) (sn.equals("TupleSerializer")
                            ? call(s, "getFieldSerializers") : field(s, "fieldSerializers"));
                    StringBuilder b = new StringBuilder(sn + "<");
                    for (int i = 0; i < fs.length; i++) b.append(i > 0 ? ", " : "").append(describe(fs[i]));
                    return b.append('>').toString();
                }
                case "EitherSerializer":
                    return sn + "<" + describe((TypeSerializer<?>) call(s, "getLeftSerializer")) + ", "
                            + describe((TypeSerializer<?>) call(s, "getRightSerializer")) + ">";
                case "NullableSerializer":
                    return sn + "<" + describe((TypeSerializer<?>) field(s, "originalSerializer")) + ">";
                case "ListSerializer":
                    return sn + "<" + describe((TypeSerializer<?>) call(s, "getElementSerializer")) + ">";
                case "MapSerializer":
                    return sn + "<" + describe((TypeSerializer<?>) call(s, "getKeySerializer")) + ", "
                            + describe((TypeSerializer<?>) call(s, "getValueSerializer")) + ">";
                case "GenericArraySerializer":
                    return sn + "<" + describe((TypeSerializer<?>) call(s, "getComponentSerializer")) + ">";
                case "TimerSerializer":
                    return sn + "<" + describe((TypeSerializer<?>) call(s, "getKeySerializer")) + ", "
                            + describe((TypeSerializer<?>) call(s, "getNamespaceSerializer")) + ">";
                case "RowDataSerializer": {
                    Object[] types = (Object[]) field(s, "types");
                    StringBuilder b = new StringBuilder(sn + "<");
                    for (int i = 0; i < types.length; i++) b.append(i > 0 ? ", " : "").append(types[i]);
                    return b.append('>').toString();
                }
                case "EnumSerializer":
                    return sn + "<" + ((Class<?>) field(s, "enumClass")).getSimpleName() + ">";
                default:
                    if (sn.startsWith("Kryo")) return sn + "<" + ((Class<?>) field(s, "type")).getName() + ">";
                    return sn;
            }
        } catch (Exception e) {
            return sn + "(?)";
        }
    }

    // ---- KeyGroupsStateHandle: heap checkpoint or canonical full snapshot

    static void dumpKeyGroups(String opId, int maxParallelism, KeyGroupsStateHandle h) throws Exception {
        byte[] data = bytes(h.getDelegateStateHandle());
        KeyedBackendSerializationProxy<Object> proxy;
        try (InputStream in = new ByteArrayInputStream(data)) {
            proxy = readProxy(in);
        }
        TypeSerializer<Object> keySer = restore(proxy.getKeySerializerSnapshot());
        List<StateInfo> states = states(proxy);
        StreamCompressionDecorator dec = proxy.isUsingKeyGroupCompression()
                ? SnappyStreamCompressionDecorator.INSTANCE : UncompressedStreamCompressionDecorator.INSTANCE;
        KeyGroupRangeOffsets offsets = h.getGroupRangeOffsets();
        boolean canonical = h.getClass().getSimpleName().contains("Savepoint") || !looksLikeHeap(data, offsets);
        for (org.apache.flink.api.java.tuple.Tuple2<Integer, Long> kgOff : offsets) {
            int kg = kgOff.f0;
            long off = kgOff.f1;
            if (off == 0L) continue;
            InputStream raw = new ByteArrayInputStream(data, (int) off, data.length - (int) off);
            if (canonical) {
                readCanonicalKeyGroup(opId, maxParallelism, keySer, states, dec.decorateWithCompression(raw));
            } else {
                DataInputViewStreamWrapper rawView = new DataInputViewStreamWrapper(raw);
                int readKg = rawView.readInt();
                if (readKg != kg) throw new IOException("heap snapshot: key group " + readKg + " at the offset of " + kg);
                for (int i = 0; i < states.size(); i++) {
                    DataInputViewStreamWrapper in = new DataInputViewStreamWrapper(dec.decorateWithCompression(raw));
                    int stateId = in.readShort();
                    readHeapState(opId, kg, keySer, states.get(stateId), in);
                }
            }
        }
    }

    /** Heap snapshots write the key-group id (int) at each key group's offset; canonical ones a short state id and a key. */
    static boolean looksLikeHeap(byte[] data, KeyGroupRangeOffsets offsets) {
        for (org.apache.flink.api.java.tuple.Tuple2<Integer, Long> kgOff : offsets) {
            if (kgOff.f1 <= 0 || kgOff.f0 == 0) continue;
            int p = kgOff.f1.intValue();
            if (p + 4 > data.length) return false;
            int v = ((data[p] & 0xff) << 24) | ((data[p + 1] & 0xff) << 16) | ((data[p + 2] & 0xff) << 8) | (data[p + 3] & 0xff);
            return v == kgOff.f0;
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    static void readHeapState(String opId, int kg, TypeSerializer<Object> keySer, StateInfo st,
                              DataInputViewStreamWrapper in) throws Exception {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            if ("PQ".equals(st.kind)) {
                Object timer = st.value.deserialize(in);
                if (!st.skip) timerLine(opId, st, kg, timer);
            } else {
                Object ns = st.namespace.deserialize(in);
                Object key = keySer.deserialize(in);
                Object value = st.value.deserialize(in);
                if (st.skip) continue;
                if ("MAP".equals(st.kind)) {
                    for (Map.Entry<Object, Object> e : ((Map<Object, Object>) value).entrySet()) {
                        line(opId, st.name, kg, keySer, key, st.namespace, ns, st.userKey, e.getKey(), st.userValue, e.getValue(), false);
                    }
                } else {
                    line(opId, st.name, kg, keySer, key, st.namespace, ns, null, null, st.value, value, false);
                }
            }
        }
    }

    static void readCanonicalKeyGroup(String opId, int maxParallelism, TypeSerializer<Object> keySer, List<StateInfo> states,
                                      InputStream in) throws Exception {
        DataInputViewStreamWrapper view = new DataInputViewStreamWrapper(in);
        int stateId = view.readShort() & 0xFFFF;
        while (true) {
            byte[] key = new byte[view.readInt()];
            view.readFully(key);
            byte[] value = new byte[view.readInt()];
            view.readFully(value);
            boolean last = FullSnapshotUtil.hasMetaDataFollowsFlag(key);
            if (last) FullSnapshotUtil.clearMetaDataFollowsFlag(key);
            entry(opId, maxParallelism, keySer, states.get(stateId), key, value);
            if (last) {
                stateId = view.readShort() & 0xFFFF;
                if (stateId == FullSnapshotUtil.END_OF_KEY_GROUP_MARK) break;
            }
        }
    }

    /** One RocksDB-form entry (canonical snapshot or RocksDB column family). */
    static void entry(String opId, int maxParallelism, TypeSerializer<Object> keySer, StateInfo st, byte[] key, byte[] value)
            throws Exception {
        if (st.skip) return;
        int prefix = CompositeKeySerializationUtils.computeRequiredBytesInKeyGroupPrefix(maxParallelism);
        DataInputDeserializer kin = new DataInputDeserializer(key);
        int kg = CompositeKeySerializationUtils.readKeyGroup(prefix, kin);
        if ("PQ".equals(st.kind)) {
            timerLine(opId, st, kg, st.value.deserialize(kin));
            return;
        }
        boolean ambiguous = CompositeKeySerializationUtils.isAmbiguousKeyPossible(keySer, st.namespace);
        Object k = CompositeKeySerializationUtils.readKey(keySer, kin, ambiguous);
        Object ns = CompositeKeySerializationUtils.readNamespace(st.namespace, kin, ambiguous);
        if ("MAP".equals(st.kind)) {
            Object uk = st.userKey.deserialize(kin);
            DataInputDeserializer vin = new DataInputDeserializer(value);
            Object v = vin.readBoolean() ? null : st.userValue.deserialize(vin);
            line(opId, st.name, kg, keySer, k, st.namespace, ns, st.userKey, uk, st.userValue, v, false);
        } else if ("LIST".equals(st.kind)) {
            List<Object> l = new ListDelimitedSerializer().deserializeList(value, st.element);
            line(opId, st.name, kg, keySer, k, st.namespace, ns, null, null, st.element, l, true);
        } else {
            Object v = st.value.deserialize(new DataInputDeserializer(value));
            line(opId, st.name, kg, keySer, k, st.namespace, ns, null, null, st.value, v, false);
        }
    }

    @SuppressWarnings("unchecked")
    static void timerLine(String opId, StateInfo st, int kg, Object timer) throws Exception {
        TypeSerializer<Object> ks = (TypeSerializer<Object>) call(st.value, "getKeySerializer");
        TypeSerializer<Object> ns = (TypeSerializer<Object>) call(st.value, "getNamespaceSerializer");
        Object key = call(timer, "getKey");
        Object namespace = call(timer, "getNamespace");
        long ts = (Long) call(timer, "getTimestamp");
        StringBuilder sb = head(opId, st.name, kg);
        sb.append(",\"key\":");
        render(ks, key, sb);
        sb.append(",\"namespace\":");
        render(ns, namespace, sb);
        sb.append(",\"value\":").append(ts).append('}');
        emit(sb);
    }

    // ---- RocksDB native snapshots

    static void dumpRocksDB(String opId, int maxParallelism, KeyedStateHandle h) throws Exception {
        Object meta = call(h, "getMetaDataStateHandle");
        if (meta == null) meta = call(h, "getMetaStateHandle");
        KeyedBackendSerializationProxy<Object> proxy;
        try (InputStream in = new ByteArrayInputStream(bytes(meta))) {
            proxy = readProxy(in);
        }
        TypeSerializer<Object> keySer = restore(proxy.getKeySerializerSnapshot());
        List<StateInfo> states = states(proxy);
        Map<String, StateInfo> byName = new LinkedHashMap<>();
        for (StateInfo s : states) byName.put(s.name, s);

        File db = Files.createTempDirectory(tmpBase.toPath(), "cairn-dump-rocksdb").toFile();
        try {
            materialize(call(h, "getSharedState"), db);
            materialize(call(h, "getPrivateState"), db);
            RocksDB.loadLibrary();
            try (Options listOpts = new Options()) {
                List<byte[]> cfNames = RocksDB.listColumnFamilies(listOpts, db.getAbsolutePath());
                List<ColumnFamilyDescriptor> descs = new ArrayList<>();
                List<ColumnFamilyOptions> cfOpts = new ArrayList<>();
                for (byte[] name : cfNames) {
                    ColumnFamilyOptions o = new ColumnFamilyOptions().setMergeOperatorName("stringappendtest");
                    cfOpts.add(o);
                    descs.add(new ColumnFamilyDescriptor(name, o));
                }
                List<ColumnFamilyHandle> handles = new ArrayList<>();
                try (DBOptions dbo = new DBOptions(); RocksDB rdb = RocksDB.openReadOnly(dbo, db.getAbsolutePath(), descs, handles)) {
                    // column families in the order of the state meta data (the order the backend registered them)
                    for (StateInfo st : states) {
                        int idx = -1;
                        for (int i = 0; i < cfNames.size(); i++) {
                            if (new String(cfNames.get(i), StandardCharsets.UTF_8).equals(st.name)) idx = i;
                        }
                        if (idx < 0) continue;   // registered but never written
                        try (RocksIterator it = rdb.newIterator(handles.get(idx))) {
                            for (it.seekToFirst(); it.isValid(); it.next()) {
                                entry(opId, maxParallelism, keySer, st, it.key(), it.value());
                            }
                        }
                    }
                    for (int i = 0; i < cfNames.size(); i++) {
                        String n = new String(cfNames.get(i), StandardCharsets.UTF_8);
                        if (!n.equals("default") && !byName.containsKey(n)) {
                            System.err.println("StateDumper: WARNING column family " + n + " has no state meta data");
                        }
                    }
                    for (ColumnFamilyHandle ch : handles) ch.close();
                } finally {
                    for (ColumnFamilyOptions o : cfOpts) o.close();
                }
            }
        } finally {
            deleteRecursively(db);
        }
    }

    /** Writes shared/private state files (Map<StateHandleID, handle> up to 1.17, List<HandleAndLocalPath> since 1.18). */
    static void materialize(Object list, File db) throws Exception {
        if (list == null) return;
        if (list instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) list).entrySet()) {
                Files.write(new File(db, String.valueOf(call(e.getKey(), "getKeyString") != null
                        ? call(e.getKey(), "getKeyString") : e.getKey())).toPath(), bytes(e.getValue()));
            }
        } else {
            for (Object hl : (Collection<?>) list) {
                Files.write(new File(db, String.valueOf(call(hl, "getLocalPath"))).toPath(), bytes(call(hl, "getHandle")));
            }
        }
    }

    static void deleteRecursively(File f) {
        File[] children = f.listFiles();
        if (children != null) for (File c : children) deleteRecursively(c);
        f.delete();
    }

    // ---- operator state (list / union / broadcast), only with --operator-state

    @SuppressWarnings("unchecked")
    static void dumpOperatorState(String opId, int subtask, org.apache.flink.runtime.state.OperatorStateHandle h) throws Exception {
        Map<String, org.apache.flink.runtime.state.OperatorStateHandle.StateMetaInfo> offsets = h.getStateNameToPartitionOffsets();
        if (offsets.isEmpty()) return;   // e.g. EmptyFileMergingOperatorStreamStateHandle
        byte[] data = bytes(h.getDelegateStateHandle());
        org.apache.flink.runtime.state.OperatorBackendSerializationProxy proxy =
                new org.apache.flink.runtime.state.OperatorBackendSerializationProxy(CL);
        proxy.read(new DataInputViewStreamWrapper(new ByteArrayInputStream(data)));
        if (Boolean.TRUE.equals(call(proxy, "isUsingStateCompression"))) {
            System.err.println("StateDumper: WARNING operator " + opId + " subtask " + subtask + ": compressed operator state not read");
            return;
        }
        Map<String, StateMetaInfoSnapshot> metas = new LinkedHashMap<>();
        for (StateMetaInfoSnapshot m : proxy.getOperatorStateMetaInfoSnapshots()) metas.put(m.getName(), m);
        for (StateMetaInfoSnapshot m : proxy.getBroadcastStateMetaInfoSnapshots()) metas.put(m.getName(), m);
        for (Map.Entry<String, org.apache.flink.runtime.state.OperatorStateHandle.StateMetaInfo> e : new TreeMap<>(offsets).entrySet()) {
            String name = e.getKey();
            if (onlyState != null && !onlyState.equals(name)) continue;
            StateMetaInfoSnapshot m = metas.get(name);
            if (m == null) throw new IOException("operator " + opId + ": no meta data for operator state " + name);
            String mode = String.valueOf(e.getValue().getDistributionMode());
            TypeSerializer<Object> vs = restore(m.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER));
            long[] offs = e.getValue().getOffsets();
            if (mode.equals("BROADCAST")) {
                TypeSerializer<Object> ks = restore(m.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.KEY_SERIALIZER));
                for (long off : offs) {
                    DataInputViewStreamWrapper in = new DataInputViewStreamWrapper(new ByteArrayInputStream(data, (int) off, data.length - (int) off));
                    int n = in.readInt();
                    for (int i = 0; i < n; i++) {
                        Object k = ks.deserialize(in);
                        Object v = vs.deserialize(in);
                        StringBuilder sb = operatorHead(opId, name, mode, subtask);
                        sb.append(",\"userKey\":");
                        render(ks, k, sb);
                        sb.append(",\"value\":");
                        render(vs, v, sb);
                        emit(sb.append('}'));
                    }
                }
            } else {
                for (int i = 0; i < offs.length; i++) {
                    DataInputViewStreamWrapper in = new DataInputViewStreamWrapper(new ByteArrayInputStream(data, (int) offs[i], data.length - (int) offs[i]));
                    Object v = vs.deserialize(in);
                    StringBuilder sb = operatorHead(opId, name, mode, subtask);
                    sb.append(",\"index\":").append(i).append(",\"value\":");
                    render(vs, v, sb);
                    emit(sb.append('}'));
                }
            }
        }
    }

    static StringBuilder operatorHead(String opId, String state, String mode, int subtask) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"kind\":\"operator\",\"operator\":");
        str(opId, sb);
        sb.append(",\"state\":");
        str(state, sb);
        sb.append(",\"mode\":\"").append(mode).append("\",\"subtask\":").append(subtask);
        return sb;
    }

    // ------------------------------------------------------------------------------------------ lines

    static StringBuilder head(String opId, String state, int kg) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"operator\":");
        str(opId, sb);
        sb.append(",\"state\":");
        str(state, sb);
        sb.append(",\"keyGroup\":").append(kg);
        return sb;
    }

    static void line(String opId, String state, int kg, TypeSerializer<Object> keySer, Object key,
                     TypeSerializer<Object> nsSer, Object ns, TypeSerializer<Object> ukSer, Object uk,
                     TypeSerializer<Object> valueSer, Object value, boolean listOfElements) throws Exception {
        StringBuilder sb = head(opId, state, kg);
        sb.append(",\"key\":");
        render(keySer, key, sb);
        sb.append(",\"namespace\":");
        render(nsSer, ns, sb);
        if (ukSer != null) {
            sb.append(",\"userKey\":");
            render(ukSer, uk, sb);
        }
        sb.append(",\"value\":");
        if (listOfElements) {
            sb.append('[');
            boolean first = true;
            for (Object e : (List<?>) value) {
                if (!first) sb.append(',');
                first = false;
                render(valueSer, e, sb);
            }
            sb.append(']');
        } else {
            render(valueSer, value, sb);
        }
        sb.append('}');
        emit(sb);
    }

    static void emit(StringBuilder sb) {
        OUT.println(sb);
        lines++;
    }

    // ------------------------------------------------------------------------------------------ values

    @SuppressWarnings("unchecked")
    static void render(TypeSerializer<Object> s, Object v, StringBuilder sb) throws Exception {
        String sn = s == null ? "" : s.getClass().getSimpleName();
        if (sn.equals("TtlSerializer")) {
            TypeSerializer<Object>[] fs = (TypeSerializer<Object>[]) field(s, "fieldSerializers");
            sb.append("{\"lastAccessTimestamp\":").append((long) (Long) call(v, "getLastAccessTimestamp")).append(",\"value\":");
            render(fs[1], call(v, "getUserValue"), sb);
            sb.append('}');
            return;
        }
        if (v == null) {
            sb.append("null");
            return;
        }
        switch (sn) {
            case "PojoSerializer": {
                Class<?> clazz = (Class<?>) field(s, "clazz");
                if (v.getClass() != clazz) {
                    sb.append("{\"$class\":");
                    str(v.getClass().getName(), sb);
                    sb.append(",\"$opaque\":");
                    str(hex(serialize(s, v)), sb);
                    sb.append('}');
                    return;
                }
                Field[] fields = (Field[]) field(s, "fields");
                TypeSerializer<Object>[] fs = (TypeSerializer<Object>[]) field(s, "fieldSerializers");
                sb.append('{');
                boolean first = true;
                for (int i = 0; i < fields.length; i++) {
                    if (fields[i] == null) continue;
                    if (!first) sb.append(',');
                    first = false;
                    str(fields[i].getName(), sb);
                    sb.append(':');
                    fields[i].setAccessible(true);
                    render(fs[i], fields[i].get(v), sb);
                }
                sb.append('}');
                return;
            }
            case "TupleSerializer": {
                TypeSerializer<Object>[] fs = (TypeSerializer<Object>[]) call(s, "getFieldSerializers");
                org.apache.flink.api.java.tuple.Tuple t = (org.apache.flink.api.java.tuple.Tuple) v;
                sb.append('{');
                for (int i = 0; i < fs.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append("\"f").append(i).append("\":");
                    render(fs[i], t.getField(i), sb);
                }
                sb.append('}');
                return;
            }
            case "RowSerializer": {
                TypeSerializer<Object>[] fs = (TypeSerializer<Object>[]) field(s, "fieldSerializers");
                org.apache.flink.types.Row r = (org.apache.flink.types.Row) v;
                sb.append("{\"kind\":");
                str(r.getKind().shortString(), sb);
                sb.append(",\"fields\":[");
                for (int i = 0; i < fs.length; i++) {
                    if (i > 0) sb.append(',');
                    render(fs[i], r.getField(i), sb);
                }
                sb.append("]}");
                return;
            }
            case "EitherSerializer": {
                org.apache.flink.types.Either<Object, Object> e = (org.apache.flink.types.Either<Object, Object>) v;
                if (e.isLeft()) {
                    sb.append("{\"left\":");
                    render((TypeSerializer<Object>) call(s, "getLeftSerializer"), e.left(), sb);
                } else {
                    sb.append("{\"right\":");
                    render((TypeSerializer<Object>) call(s, "getRightSerializer"), e.right(), sb);
                }
                sb.append('}');
                return;
            }
            case "NullableSerializer":
                render((TypeSerializer<Object>) field(s, "originalSerializer"), v, sb);
                return;
            case "ListSerializer":
            case "LinkedListSerializer":   // SQL
            case "SetSerializer": {
                TypeSerializer<Object> es = (TypeSerializer<Object>) call(s, "getElementSerializer");
                sb.append('[');
                boolean first = true;
                for (Object e : (Collection<?>) v) {
                    if (!first) sb.append(',');
                    first = false;
                    render(es, e, sb);
                }
                sb.append(']');
                return;
            }
            case "MapSerializer":
            case "NullAwareMapSerializer": {   // SQL, null keys allowed
                TypeSerializer<Object> ks = (TypeSerializer<Object>) call(s, "getKeySerializer");
                TypeSerializer<Object> vs = (TypeSerializer<Object>) call(s, "getValueSerializer");
                sb.append('[');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    sb.append("{\"key\":");
                    render(ks, e.getKey(), sb);
                    sb.append(",\"value\":");
                    render(vs, e.getValue(), sb);
                    sb.append('}');
                }
                sb.append(']');
                return;
            }
            case "GenericArraySerializer": {
                TypeSerializer<Object> cs = (TypeSerializer<Object>) call(s, "getComponentSerializer");
                sb.append('[');
                for (int i = 0; i < Array.getLength(v); i++) {
                    if (i > 0) sb.append(',');
                    render(cs, Array.get(v, i), sb);
                }
                sb.append(']');
                return;
            }
            case "RowDataSerializer": {
                Object[] types = (Object[]) field(s, "types");
                renderRowData((org.apache.flink.table.data.RowData) v, types, sb);
                return;
            }
            case "VoidNamespaceSerializer":
                sb.append("null");
                return;
            default:
        }
        if (sn.startsWith("Kryo") || sn.equals("AvroSerializer") || sn.equals("BinaryRowDataSerializer")
                || sn.equals("JavaSerializer") || sn.equals("ValueSerializer") || sn.equals("CopyableValueSerializer")) {
            opaque(s, v, sb);
            return;
        }
        if (!renderPlain(v, sb)) opaque(s, v, sb);
    }

    static void opaque(TypeSerializer<Object> s, Object v, StringBuilder sb) throws Exception {
        sb.append("{\"$opaque\":");
        str(s.snapshotConfiguration().getClass().getName(), sb);
        sb.append(",\"$bytes\":");
        str(hex(serialize(s, v)), sb);
        sb.append('}');
    }

    /** Values whose rendering follows from their Java type (basic, array, enum, time and window types). */
    static boolean renderPlain(Object v, StringBuilder sb) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String) {
            str((String) v, sb);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            sb.append(v);
        } else if (v instanceof Float || v instanceof Double) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d)) sb.append("\"NaN\"");
            else if (Double.isInfinite(d)) sb.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
            else sb.append(v);   // Float.toString / Double.toString: shortest repr of that type
        } else if (v instanceof Character) {
            str(String.valueOf(v), sb);
        } else if (v instanceof java.math.BigInteger) {
            str(v.toString(), sb);
        } else if (v instanceof java.math.BigDecimal) {
            str(((java.math.BigDecimal) v).toPlainString(), sb);
        } else if (v instanceof java.sql.Timestamp) {
            java.sql.Timestamp t = (java.sql.Timestamp) v;
            sb.append("{\"epochMillis\":").append(t.getTime()).append(",\"nanos\":").append(t.getNanos()).append('}');
        } else if (v instanceof java.util.Date) {
            sb.append(((java.util.Date) v).getTime());
        } else if (v instanceof java.time.Instant) {
            java.time.Instant i = (java.time.Instant) v;
            sb.append("{\"epochSecond\":").append(i.getEpochSecond()).append(",\"nano\":").append(i.getNano()).append('}');
        } else if (v instanceof Enum) {
            str(((Enum<?>) v).name(), sb);
        } else if (v instanceof byte[]) {
            str(hex((byte[]) v), sb);
        } else if (v.getClass().isArray()) {
            sb.append('[');
            for (int i = 0; i < Array.getLength(v); i++) {
                if (i > 0) sb.append(',');
                if (!renderPlain(Array.get(v, i), sb)) return false;
            }
            sb.append(']');
        } else if (v.getClass().getSimpleName().equals("TimeWindow")) {
            sb.append("{\"start\":").append(call(v, "getStart")).append(",\"end\":").append(call(v, "getEnd")).append('}');
        } else if (v.getClass().getSimpleName().equals("GlobalWindow")) {
            sb.append("\"GlobalWindow\"");
        } else if (v.getClass().getSimpleName().equals("VoidNamespace")) {
            sb.append("null");
        } else {
            return false;
        }
        return true;
    }

    // ---- Flink SQL internal data (RowData and friends), by logical type

    static void renderRowData(org.apache.flink.table.data.RowData r, Object[] types, StringBuilder sb) throws Exception {
        sb.append("{\"kind\":");
        str(r.getRowKind().shortString(), sb);
        sb.append(",\"fields\":[");
        for (int i = 0; i < types.length; i++) {
            if (i > 0) sb.append(',');
            org.apache.flink.table.types.logical.LogicalType t = (org.apache.flink.table.types.logical.LogicalType) types[i];
            Object f = r.isNullAt(i) ? null : org.apache.flink.table.data.RowData.createFieldGetter(t, i).getFieldOrNull(r);
            renderInternal(t, f, sb);
        }
        sb.append("]}");
    }

    @SuppressWarnings("unchecked")
    static void renderInternal(org.apache.flink.table.types.logical.LogicalType t, Object v, StringBuilder sb) throws Exception {
        if (v == null) {
            sb.append("null");
            return;
        }
        switch (t.getTypeRoot()) {
            case CHAR:
            case VARCHAR:
                str(v.toString(), sb);
                return;
            case BINARY:
            case VARBINARY:
                str(hex((byte[]) v), sb);
                return;
            case DECIMAL:
                str(((org.apache.flink.table.data.DecimalData) v).toBigDecimal().toPlainString(), sb);
                return;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
            case TIMESTAMP_WITH_TIME_ZONE: {
                org.apache.flink.table.data.TimestampData ts = (org.apache.flink.table.data.TimestampData) v;
                sb.append("{\"epochMillis\":").append(ts.getMillisecond()).append(",\"nanos\":").append(ts.getNanoOfMillisecond()).append('}');
                return;
            }
            case ROW: {
                List<org.apache.flink.table.types.logical.LogicalType> ch = t.getChildren();
                renderRowData((org.apache.flink.table.data.RowData) v, ch.toArray(), sb);
                return;
            }
            case ARRAY: {
                org.apache.flink.table.types.logical.LogicalType et = t.getChildren().get(0);
                org.apache.flink.table.data.ArrayData a = (org.apache.flink.table.data.ArrayData) v;
                org.apache.flink.table.data.ArrayData.ElementGetter g = org.apache.flink.table.data.ArrayData.createElementGetter(et);
                sb.append('[');
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) sb.append(',');
                    renderInternal(et, g.getElementOrNull(a, i), sb);
                }
                sb.append(']');
                return;
            }
            case MAP:
            case MULTISET: {
                org.apache.flink.table.types.logical.LogicalType kt = t.getChildren().get(0);
                org.apache.flink.table.types.logical.LogicalType vt = t.getChildren().size() > 1 ? t.getChildren().get(1)
                        : new org.apache.flink.table.types.logical.IntType(false);
                org.apache.flink.table.data.MapData m = (org.apache.flink.table.data.MapData) v;
                org.apache.flink.table.data.ArrayData.ElementGetter kg = org.apache.flink.table.data.ArrayData.createElementGetter(kt);
                org.apache.flink.table.data.ArrayData.ElementGetter vg = org.apache.flink.table.data.ArrayData.createElementGetter(vt);
                sb.append('[');
                for (int i = 0; i < m.size(); i++) {
                    if (i > 0) sb.append(',');
                    sb.append("{\"key\":");
                    renderInternal(kt, kg.getElementOrNull(m.keyArray(), i), sb);
                    sb.append(",\"value\":");
                    renderInternal(vt, vg.getElementOrNull(m.valueArray(), i), sb);
                    sb.append('}');
                }
                sb.append(']');
                return;
            }
            case RAW: {
                // e.g. the MapView placeholder of SQL distinct aggregates (its serializer is NullSerializer: no bytes)
                TypeSerializer<Object> rs = (TypeSerializer<Object>) call(t, "getTypeSerializer");
                byte[] b = ((org.apache.flink.table.data.RawValueData<Object>) v).toBytes(rs);
                sb.append("{\"$opaque\":");
                str(rs.snapshotConfiguration().getClass().getName(), sb);
                sb.append(",\"$bytes\":");
                str(hex(b), sb);
                sb.append('}');
                return;
            }
            case STRUCTURED_TYPE:
            case DISTINCT_TYPE:
            default:
                if (!renderPlain(v, sb)) {
                    sb.append("{\"$opaque\":");
                    str(t.asSerializableString(), sb);
                    sb.append('}');
                }
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    static byte[] serialize(TypeSerializer<Object> s, Object v) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.serialize(v, out);
        return out.getCopyOfBuffer();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        return sb.toString();
    }

    static Object field(Object target, String name) throws Exception {
        for (Class<?> k = target.getClass(); k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(target);
            } catch (NoSuchFieldException ignored) {
            }
        }
        throw new NoSuchFieldException(target.getClass().getName() + "." + name);
    }

    static Object call(Object target, String method) {
        if (target == null) return null;
        try {
            for (Class<?> k = target.getClass(); k != null; k = k.getSuperclass()) {
                try {
                    Method m = k.getDeclaredMethod(method);
                    m.setAccessible(true);
                    return m.invoke(target);
                } catch (NoSuchMethodException ignored) {
                }
            }
            Method m = target.getClass().getMethod(method);
            return m.invoke(target);
        } catch (Exception e) {
            return null;
        }
    }

    static void str(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        sb.append('"');
    }
}
