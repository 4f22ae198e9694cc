/*
 * Cairn oracle: prints, as JSON, what Flink's own metadata reader
 * (org.apache.flink.runtime.checkpoint.Checkpoints.loadCheckpointMetadata) reports for one _metadata file.
 *
 * Usage: java -cp "<flink>/lib/*:<classes>" Oracle <path to _metadata or its directory>
 *
 * One source file that compiles against Flink 1.15, 1.20 and 2.3: APIs that differ between versions
 * (operator name/uid, CheckpointProperties, incremental handle accessors, file-merging and merged channel
 * handles) are reached by reflection.
 */

import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.StateObject;
import org.apache.flink.runtime.state.AbstractChannelStateHandle;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.changelog.ChangelogStateBackendHandle;
import org.apache.flink.runtime.state.changelog.ChangelogStateHandleStreamImpl;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.filesystem.RelativeFileStateHandle;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import org.apache.flink.runtime.util.EnvironmentInformation;

import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.BufferedInputStream;
import java.io.RandomAccessFile;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

public class Oracle {

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Oracle <_metadata file or its directory>");
            System.exit(2);
        }
        File f = new File(args[0]);
        if (f.isDirectory()) f = new File(f, "_metadata");
        File dir = f.getAbsoluteFile().getParentFile();

        int metadataVersion;
        try (RandomAccessFile raf = new RandomAccessFile(f, "r")) {
            raf.seek(4);
            metadataVersion = raf.readInt();
        }

        CheckpointMetadata md;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(f)))) {
            // The external pointer is the checkpoint/savepoint directory; relative handles resolve against it.
            md = Checkpoints.loadCheckpointMetadata(in, Oracle.class.getClassLoader(), dir.toURI().toString());
        }

        Map<String, Object> root = new LinkedHashMap<>();
        root.put("flinkVersion", EnvironmentInformation.getVersion());
        root.put("metadataVersion", metadataVersion);
        root.put("checkpointId", md.getCheckpointId());

        Object props = call(md, "getCheckpointProperties");
        if (props != null) {
            root.put("savepoint", call(props, "isSavepoint"));
            Object type = call(props, "getCheckpointType");
            Object fmt = type == null ? null : call(type, "getFormatType");
            root.put("savepointFormat", fmt == null ? null : fmt.toString());
        } else {
            root.put("savepoint", null);
            root.put("savepointFormat", null);
        }

        List<Object> ops = new ArrayList<>();
        for (OperatorState op : md.getOperatorStates()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", op.getOperatorID().toHexString());
            o.put("name", optionalString(op, "getOperatorName"));
            o.put("uid", optionalString(op, "getOperatorUid"));
            o.put("parallelism", op.getParallelism());
            o.put("maxParallelism", op.getMaxParallelism());
            o.put("stateSize", op.getStateSize());
            o.put("checkpointedSize", op.getCheckpointedSize());
            o.put("coordinatorStateSize", op.getCoordinatorState() == null ? 0L : op.getCoordinatorState().getStateSize());
            o.put("fullyFinished", op.isFullyFinished());
            List<Object> subs = new ArrayList<>();
            TreeMap<Integer, OperatorSubtaskState> sorted = new TreeMap<>(op.getSubtaskStates());
            for (Map.Entry<Integer, OperatorSubtaskState> e : sorted.entrySet()) {
                subs.add(subtask(e.getKey(), e.getValue()));
            }
            o.put("subtasks", subs);
            ops.add(o);
        }
        root.put("operators", ops);

        StringBuilder sb = new StringBuilder();
        json(root, sb, 0);
        sb.append('\n');
        System.out.print(sb);
        System.out.flush();
    }

    // ------------------------------------------------------------------------------------------

    static Map<String, Object> subtask(int index, OperatorSubtaskState s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("finished", s.isFinished());
        m.put("stateSize", s.getStateSize());
        m.put("checkpointedSize", s.getCheckpointedSize());
        m.put("managedOperatorState", sum(s.getManagedOperatorState()));
        m.put("rawOperatorState", sum(s.getRawOperatorState()));
        m.put("managedKeyedState", sum(s.getManagedKeyedState()));
        m.put("rawKeyedState", sum(s.getRawKeyedState()));
        m.put("inputChannelState", sum(s.getInputChannelState()));
        m.put("resultSubpartitionState", sum(s.getResultSubpartitionState()));

        List<Object> ranges = new ArrayList<>();
        for (KeyedStateHandle k : s.getManagedKeyedState()) {
            KeyGroupRange r = k.getKeyGroupRange();
            List<Object> pair = new ArrayList<>();
            pair.add(r.getStartKeyGroup());
            pair.add(r.getEndKeyGroup());
            ranges.add(pair);
        }
        m.put("keyGroupRanges", ranges);

        List<Object> handles = new ArrayList<>();
        Files files = new Files();
        addHandles("managedOperatorState", s.getManagedOperatorState(), handles, files);
        addHandles("rawOperatorState", s.getRawOperatorState(), handles, files);
        addHandles("managedKeyedState", s.getManagedKeyedState(), handles, files);
        addHandles("rawKeyedState", s.getRawKeyedState(), handles, files);
        addHandles("inputChannelState", s.getInputChannelState(), handles, files);
        addHandles("resultSubpartitionState", s.getResultSubpartitionState(), handles, files);
        m.put("handles", handles);
        m.put("files", files.list());
        return m;
    }

    static long sum(Collection<? extends StateObject> c) {
        long t = 0;
        for (StateObject o : c) if (o != null) t += o.getStateSize();
        return t;
    }

    static void addHandles(String slot, Collection<? extends StateObject> c, List<Object> handles, Files files) {
        for (StateObject h : c) {
            if (h == null) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", h.getClass().getSimpleName());
            m.put("slot", slot);
            m.put("stateSize", h.getStateSize());
            long cs = h.getStateSize();
            if (h instanceof KeyedStateHandle) cs = ((KeyedStateHandle) h).getCheckpointedSize();
            else {
                Object v = call(h, "getCheckpointedSize");  // e.g. FileMergingOperatorStreamStateHandle
                if (v instanceof Long) cs = (Long) v;
            }
            m.put("checkpointedSize", cs);
            handles.add(m);
            collect(h, files, null);
        }
    }

    /** Unique (insertion-ordered) list of file references of one subtask. */
    static class Files {
        final Set<String> seen = new LinkedHashSet<>();
        final List<Object> entries = new ArrayList<>();

        void add(Map<String, Object> e) {
            StringBuilder key = new StringBuilder();
            json(e, key, -1);
            if (seen.add(key.toString())) entries.add(e);
        }

        List<Object> list() { return entries; }
    }

    /** Walks a handle recursively and records every file / inline handle it references. */
    static void collect(Object h, Files out, String localPath) {
        collect(h, out, localPath, null);
    }

    /** role: "meta" / "shared" / "private" for the parts of incremental (RocksDB) handles, else null. */
    static void collect(Object h, Files out, String localPath, String role) {
        if (h == null) return;
        String cn = h.getClass().getSimpleName();

        if (h instanceof KeyGroupsStateHandle) {
            collect(((KeyGroupsStateHandle) h).getDelegateStateHandle(), out, localPath);
        } else if (h instanceof OperatorStreamStateHandle) {
            // includes FileMergingOperatorStreamStateHandle (delegate = segment handle)
            collect(((OperatorStreamStateHandle) h).getDelegateStateHandle(), out, localPath);
        } else if (h instanceof IncrementalRemoteKeyedStateHandle || cn.startsWith("Incremental")) {
            Object meta = call(h, "getMetaDataStateHandle");
            if (meta == null) meta = call(h, "getMetaStateHandle");
            collect(meta, out, null, "meta");
            collectHandleList(call(h, "getSharedState"), out, "shared");
            collectHandleList(call(h, "getPrivateState"), out, "private");
        } else if (h instanceof ChangelogStateBackendHandle) {
            ChangelogStateBackendHandle c = (ChangelogStateBackendHandle) h;
            for (Object k : c.getMaterializedStateHandles()) collect(k, out, null);
            for (Object k : c.getNonMaterializedStateHandles()) collect(k, out, null);
        } else if (h instanceof ChangelogStateHandleStreamImpl) {
            for (org.apache.flink.api.java.tuple.Tuple2<?, ?> t : ((ChangelogStateHandleStreamImpl) h).getHandlesAndOffsets()) {
                collect(t.f0, out, null);
            }
        } else if (cn.equals("InMemoryChangelogStateHandle")) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("inline", cn + ":" + String.valueOf(call(h, "getStateHandleId")));
            e.put("size", ((StateObject) h).getStateSize());
            out.add(e);
        } else if (h instanceof AbstractChannelStateHandle) {
            collect(((AbstractChannelStateHandle<?>) h).getDelegate(), out, null);
        } else if (cn.startsWith("Merged") && cn.contains("StateHandle")) {
            // 2.1+: MergedInputChannelStateHandle / MergedResultSubpartitionStateHandle
            collect(call(h, "getDelegate"), out, null);
        } else if (h instanceof RelativeFileStateHandle) {
            RelativeFileStateHandle r = (RelativeFileStateHandle) h;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", r.getRelativePath());
            e.put("size", r.getStateSize());
            e.put("relative", true);
            if (localPath != null) e.put("localPath", localPath);
            if (role != null) e.put("role", role);
            out.add(e);
        } else if (h instanceof FileStateHandle) {
            FileStateHandle fh = (FileStateHandle) h;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", fh.getFilePath().toString());
            e.put("size", fh.getStateSize());
            if (localPath != null) e.put("localPath", localPath);
            if (role != null) e.put("role", role);
            out.add(e);
        } else if (h instanceof ByteStreamStateHandle) {
            ByteStreamStateHandle b = (ByteStreamStateHandle) h;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("inline", b.getHandleName());
            e.put("size", b.getStateSize());
            if (localPath != null) e.put("localPath", localPath);
            if (role != null) e.put("role", role);
            out.add(e);
        } else if (cn.equals("EmptySegmentFileStateHandle")) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("emptySegment", true);
            e.put("size", 0L);
            out.add(e);
        } else if (cn.equals("SegmentFileStateHandle")) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", String.valueOf(call(h, "getFilePath")));
            e.put("startPos", call(h, "getStartPos"));
            e.put("size", call(h, "getStateSize"));
            e.put("segment", true);
            e.put("scope", String.valueOf(call(h, "getScope")));
            if (localPath != null) e.put("localPath", localPath);
            if (role != null) e.put("role", role);
            out.add(e);
        } else {
            System.err.println("WARNING: unknown handle type " + h.getClass().getName());
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("unknown", h.getClass().getName());
            e.put("size", (h instanceof StateObject) ? ((StateObject) h).getStateSize() : -1L);
            out.add(e);
        }
    }

    /** Shared/private state: Map<StateHandleID, StreamStateHandle> (<= 1.17) or List<HandleAndLocalPath> (1.18+). */
    static void collectHandleList(Object list, Files out, String role) {
        if (list == null) return;
        if (list instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) list).entrySet()) {
                collect(e.getValue(), out, String.valueOf(e.getKey()), role);
            }
        } else if (list instanceof Collection) {
            for (Object hl : (Collection<?>) list) {
                collect(call(hl, "getHandle"), out, String.valueOf(call(hl, "getLocalPath")), role);
            }
        }
    }

    static Object call(Object target, String method) {
        if (target == null) return null;
        try {
            Method m = findMethod(target.getClass(), method);
            if (m == null) return null;
            m.setAccessible(true);
            return m.invoke(target);
        } catch (Exception e) {
            return null;
        }
    }

    static Method findMethod(Class<?> c, String name) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                return k.getDeclaredMethod(name);
            } catch (NoSuchMethodException ignored) {
            }
        }
        try {
            return c.getMethod(name);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    static String optionalString(Object target, String method) {
        Object v = call(target, method);
        if (v instanceof Optional) return (String) ((Optional<?>) v).orElse(null);
        return v == null ? null : v.toString();
    }

    // ------------------------------------------------------------------------------------------ JSON

    static void json(Object v, StringBuilder sb, int indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String) {
            str((String) v, sb);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            sb.append(v);
        } else if (v instanceof Number) {
            sb.append(((Number) v).longValue());
        } else if (v instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) v;
            if (m.isEmpty()) { sb.append("{}"); return; }
            boolean compact = indent < 0 || isLeafMap(m);
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) sb.append(compact ? ", " : ",");
                first = false;
                if (!compact) nl(sb, indent + 1);
                str(String.valueOf(e.getKey()), sb);
                sb.append(": ");
                json(e.getValue(), sb, compact ? -1 : indent + 1);
            }
            if (!compact) nl(sb, indent);
            sb.append('}');
        } else if (v instanceof List) {
            List<?> l = (List<?>) v;
            if (l.isEmpty()) { sb.append("[]"); return; }
            boolean compact = indent < 0 || l.get(0) instanceof Number;
            sb.append('[');
            boolean first = true;
            for (Object x : l) {
                if (!first) sb.append(compact ? ", " : ",");
                first = false;
                if (!compact) nl(sb, indent + 1);
                json(x, sb, compact ? -1 : indent + 1);
            }
            if (!compact) nl(sb, indent);
            sb.append(']');
        } else {
            str(v.toString(), sb);
        }
    }

    static boolean isLeafMap(Map<?, ?> m) {
        for (Object x : m.values()) if (x instanceof Map || x instanceof List) return false;
        return true;
    }

    static void nl(StringBuilder sb, int indent) {
        sb.append('\n');
        for (int i = 0; i < indent; i++) sb.append("  ");
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
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        sb.append('"');
    }
}
