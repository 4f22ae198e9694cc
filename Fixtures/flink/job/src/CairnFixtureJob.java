/*
 * Cairn test-fixture job. One source file that compiles unchanged against Flink 1.15, 1.20 and 2.3
 * (version differences are handled by reflection or by avoiding APIs that changed).
 *
 * Runs in a local MiniCluster until N checkpoints have completed, then triggers the requested
 * savepoints, then cancels the job. Checkpoints are retained on cancellation.
 *
 * Arguments (all optional except --ckpt-dir):
 *   --ckpt-dir DIR            checkpoint base directory (local path)
 *   --sp-dir DIR              savepoint target directory (local path)
 *   --checkpoints N           wait until the highest completed chk-N is >= N (default 6)
 *   --savepoint canonical|native   (repeatable) savepoints to take after the checkpoints
 *   --after-savepoint-checkpoints M  wait for M more completed checkpoints after the savepoints (default 0)
 *   --keys K                  number of distinct keys of the keyed operator (default 600)
 *   --window-keys K           number of distinct keys of the window operator (default 100)
 *   --attr-len N              length of the hex strings in the "attributes" MapState (default 48)
 *   --throttle-every N        source throttle: sleep 1 ms every N records per subtask (0 = unthrottled; default 2)
 *   --slow-every N            keyed operator: sleep 1 ms every N records (0 = off; default 0)
 *   --operator-list-size N    entries kept in the "recent-values" operator list state per subtask (default 350)
 *   --finite-split N          the number source's second split holds only N numbers, so one source subtask
 *                             (and the throttle chained to it) finishes early (0 = two endless splits; default 500)
 *   --rules N                 number of broadcast rules (bounded rules source, finishes early; default 64)
 *   --conf key=value          (repeatable) Flink configuration entry for the MiniCluster / environment
 *   --timeout-s S             give up after S seconds (default 240)
 *
 * Restore mode (used by restore-check.sh; the default fixture-generating behaviour above is unchanged):
 *   --restore-from PATH       start from this savepoint or retained checkpoint (execution.state-recovery.path and
 *                             the 1.x key execution.savepoint.path), run for --run-s seconds, print what state the
 *                             operators got back (RESTORED_* lines), then cancel. No restarts: a failed restore
 *                             prints JOB_STATUS FAILED with the cause and exits with status 3.
 *   --run-s S                 how long to run after the restore (default 4)
 *   --allow-non-restored      skip savepoint state that maps to no operator (allowNonRestoredState)
 *   --rename OLD=NEW          (repeatable) use uid NEW where the job normally uses uid OLD
 *   --without OPERATOR        (repeatable) leave out union-sink or window-reduce (window-reduce takes the sink along)
 */

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.ReduceFunction;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.triggers.ProcessingTimeTrigger;
import org.apache.flink.streaming.api.windowing.triggers.Trigger;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.io.File;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.HashSet;
import java.util.Set;

public class CairnFixtureJob {

    static final MapStateDescriptor<Integer, String> RULES =
            new MapStateDescriptor<>("rules", Types.INT, Types.STRING);

    public static void main(String[] args) throws Exception {
        String ckptDir = null;
        String spDir = null;
        int checkpoints = 6;
        int afterSavepointCheckpoints = 0;
        List<String> savepoints = new ArrayList<>();
        long keys = 600;
        long windowKeys = 100;
        int attrLen = 48;
        int throttleEvery = 2;
        int slowEvery = 0;
        int listSize = 350;
        int rules = 64;
        long finiteSplit = 500;
        long timeoutS = 240;
        String restoreFrom = null;
        long runS = 4;
        boolean allowNonRestored = false;
        Map<String, String> renames = new LinkedHashMap<>();
        Set<String> without = new HashSet<>();
        Map<String, String> conf = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = (i + 1 < args.length) ? args[i + 1] : null;
            switch (a) {
                case "--ckpt-dir": ckptDir = v; i++; break;
                case "--sp-dir": spDir = v; i++; break;
                case "--checkpoints": checkpoints = Integer.parseInt(v); i++; break;
                case "--after-savepoint-checkpoints": afterSavepointCheckpoints = Integer.parseInt(v); i++; break;
                case "--savepoint": savepoints.add(v); i++; break;
                case "--keys": keys = Long.parseLong(v); i++; break;
                case "--window-keys": windowKeys = Long.parseLong(v); i++; break;
                case "--attr-len": attrLen = Integer.parseInt(v); i++; break;
                case "--throttle-every": throttleEvery = Integer.parseInt(v); i++; break;
                case "--slow-every": slowEvery = Integer.parseInt(v); i++; break;
                case "--operator-list-size": listSize = Integer.parseInt(v); i++; break;
                case "--finite-split": finiteSplit = Long.parseLong(v); i++; break;
                case "--rules": rules = Integer.parseInt(v); i++; break;
                case "--timeout-s": timeoutS = Long.parseLong(v); i++; break;
                case "--restore-from": restoreFrom = v; i++; break;
                case "--run-s": runS = Long.parseLong(v); i++; break;
                case "--allow-non-restored": allowNonRestored = true; break;
                case "--rename": {
                    int eq = v.indexOf('=');
                    renames.put(v.substring(0, eq), v.substring(eq + 1));
                    i++;
                    break;
                }
                case "--without": without.add(v); i++; break;
                case "--conf": {
                    int eq = v.indexOf('=');
                    conf.put(v.substring(0, eq), v.substring(eq + 1));
                    i++;
                    break;
                }
                default: throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (ckptDir == null && restoreFrom == null) throw new IllegalArgumentException("--ckpt-dir is required");
        if (restoreFrom != null) {
            // both spellings: 2.x reads execution.state-recovery.*, 1.x execution.savepoint.*
            conf.put("execution.state-recovery.path", restoreFrom);
            conf.put("execution.savepoint.path", restoreFrom);
            conf.put("execution.state-recovery.ignore-unclaimed-state", String.valueOf(allowNonRestored));
            conf.put("execution.savepoint.ignore-unclaimed-state", String.valueOf(allowNonRestored));
            conf.put("restart-strategy.type", "none");
            conf.put("restart-strategy", "none");
        }

        Configuration configuration = Configuration.fromMap(conf);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(3, configuration);

        // ---- main FLIP-27 source (NumberSequenceSource) + throttling map with split-distribute list state
        DataStream<Long> numbers = env.fromSource(new UnevenNumberSource(finiteSplit),
                        WatermarkStrategy.<Long>noWatermarks(), "number-source")
                .uid(renames.getOrDefault("number-source", "number-source")).name("number-source").setParallelism(2);
        DataStream<Long> throttled = numbers
                .map(new ThrottleMap(throttleEvery, listSize))
                .uid(renames.getOrDefault("throttle", "throttle")).name("throttle").setParallelism(2);

        // ---- bounded rules source (finishes early -> finished operators) + broadcast state
        DataStream<Long> ruleNumbers = env.fromSequence(0, rules - 1)
                .uid(renames.getOrDefault("rules-source", "rules-source")).name("rules-source").setParallelism(1);
        BroadcastStream<Long> ruleStream = ruleNumbers.broadcast(RULES);
        DataStream<Long> enriched = throttled.connect(ruleStream)
                .process(new RuleEnricher(), Types.LONG)
                .uid(renames.getOrDefault("broadcast-enrich", "broadcast-enrich")).name("broadcast-enrich").setParallelism(3);

        // ---- keyed state: value (TTL), value, list, map, processing-time timers; maxParallelism 256
        DataStream<Long> keyed = enriched
                .keyBy(new ModKey(keys), Types.LONG)
                .process(new KeyedStateFunction(slowEvery, attrLen), Types.LONG)
                .uid(renames.getOrDefault("keyed-state", "keyed-state")).name("keyed-state").setParallelism(3).setMaxParallelism(256);

        if (!without.contains("window-reduce")) {
        // ---- window operator: processing-time tumbling window (60 s) + reduce; maxParallelism 128
        DataStream<Long> windowed = keyed
                .keyBy(new ModKey(windowKeys), Types.LONG)
                .window(new TumblingProcessingWindows(60_000L))
                .reduce(new SumReduce())
                .uid(renames.getOrDefault("window-reduce", "window-reduce")).name("window-reduce").setParallelism(2).setMaxParallelism(128);

        // ---- terminal operator with union list state
        if (!without.contains("union-sink")) {
        windowed.process(new UnionStateSink(), Types.LONG)
                .uid(renames.getOrDefault("union-sink", "union-sink")).name("union-sink").setParallelism(2);
        }
        }

        if (restoreFrom != null) {
            restoreRun(env, runS, timeoutS);
            return;
        }

        JobClient client = env.executeAsync("cairn-fixture-job");
        String jobId = client.getJobID().toString();
        System.out.println("JOB_ID " + jobId);
        long deadline = System.currentTimeMillis() + timeoutS * 1000L;
        File jobDir = new File(ckptDir, jobId);
        try {
            long reached = waitForCheckpoint(jobDir, checkpoints, deadline);
            System.out.println("CHECKPOINT_REACHED " + reached);
            for (String sp : savepoints) {
                SavepointFormatType fmt = SavepointFormatType.valueOf(sp.toUpperCase());
                String path = client.triggerSavepoint(spDir, fmt).get(120, TimeUnit.SECONDS);
                System.out.println("SAVEPOINT " + fmt + " " + path);
            }
            if (afterSavepointCheckpoints > 0) {
                long now = maxCompleted(jobDir);
                long r = waitForCheckpoint(jobDir, now + afterSavepointCheckpoints, deadline);
                System.out.println("CHECKPOINT_REACHED " + r);
            }
        } finally {
            client.cancel().get(60, TimeUnit.SECONDS);
            for (int i = 0; i < 600; i++) {
                String st;
                try {
                    st = String.valueOf(client.getJobStatus().get(30, TimeUnit.SECONDS));
                } catch (Exception e) {
                    System.out.println("JOB_STATUS unavailable (MiniCluster already shut down)");
                    break;
                }
                if (st.equals("CANCELED") || st.equals("FAILED") || st.equals("FINISHED")) {
                    System.out.println("JOB_STATUS " + st);
                    break;
                }
                Thread.sleep(100);
            }
        }
        // give the MiniCluster a moment to flush/shut down, then exit hard (it has non-daemon threads)
        Thread.sleep(1000);
        System.exit(0);
    }

    // ---- restore mode: what the operators got back (the MiniCluster runs in this JVM, so tasks report here)

    /** keyed-state: the restored "count" of each key when first seen in this run (0 = no state). */
    static final ConcurrentHashMap<Long, Long> FIRST_COUNT = new ConcurrentHashMap<>();
    /** throttle: entries of "recent-values" each instance got back, and the first number each instance saw. */
    static final ConcurrentLinkedQueue<Integer> THROTTLE_RESTORED = new ConcurrentLinkedQueue<>();
    static final ConcurrentLinkedQueue<Long> FIRST_VALUES = new ConcurrentLinkedQueue<>();

    static void restoreRun(StreamExecutionEnvironment env, long runS, long timeoutS) throws Exception {
        JobClient client;
        try {
            client = env.executeAsync("cairn-fixture-job-restore");
        } catch (Exception e) {
            // e.g. "Cannot map checkpoint/savepoint state for operator …": the JobMaster refused the snapshot
            System.out.println("JOB_STATUS FAILED");
            for (Throwable t = e; t != null; t = t.getCause()) System.out.println("CAUSE " + t);
            System.out.flush();
            System.exit(3);
            return;
        }
        System.out.println("JOB_ID " + client.getJobID());
        String status = "UNKNOWN";
        long start = System.currentTimeMillis();
        long runningSince = -1;
        while (System.currentTimeMillis() - start < timeoutS * 1000L) {
            status = String.valueOf(client.getJobStatus().get(30, TimeUnit.SECONDS));
            if (status.equals("FAILED") || status.equals("FINISHED") || status.equals("CANCELED")) break;
            if (status.equals("RUNNING") && runningSince < 0) runningSince = System.currentTimeMillis();
            // run until every restored operator has seen records for a while
            if (runningSince > 0 && System.currentTimeMillis() - runningSince > runS * 1000L && !FIRST_COUNT.isEmpty()) break;
            Thread.sleep(100);
        }
        System.out.println("JOB_STATUS " + status);
        if (status.equals("FAILED")) {
            try {
                client.getJobExecutionResult().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                for (Throwable t = e; t != null; t = t.getCause()) System.out.println("CAUSE " + t);
            }
            System.out.flush();
            System.exit(3);
        }
        long keys = FIRST_COUNT.size(), restored = 0, min = Long.MAX_VALUE, max = 0, sum = 0;
        for (long c : FIRST_COUNT.values()) {
            if (c > 0) { restored++; min = Math.min(min, c); max = Math.max(max, c); sum += c; }
        }
        System.out.println("RESTORED_KEYED keys=" + keys + " withCount=" + restored + " minCount=" + (restored > 0 ? min : 0)
                + " maxCount=" + max + " sumCount=" + sum);
        System.out.println("RESTORED_THROTTLE entries=" + new ArrayList<>(THROTTLE_RESTORED));
        System.out.println("RESTORED_SOURCE firstValues=" + new ArrayList<>(FIRST_VALUES));
        try { client.cancel().get(60, TimeUnit.SECONDS); } catch (Exception e) { System.out.println("CANCEL " + e); }
        System.out.flush();
        Thread.sleep(500);
        System.exit(0);
    }

    static long maxCompleted(File jobDir) {
        long max = -1;
        File[] files = jobDir.listFiles();
        if (files == null) return -1;
        for (File f : files) {
            if (f.getName().startsWith("chk-") && new File(f, "_metadata").isFile()) {
                max = Math.max(max, Long.parseLong(f.getName().substring(4)));
            }
        }
        return max;
    }

    static long waitForCheckpoint(File jobDir, long n, long deadline) throws Exception {
        while (true) {
            long m = maxCompleted(jobDir);
            if (m >= n) {
                // _metadata is written last; give the rename/close a moment
                Thread.sleep(200);
                return m;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new RuntimeException("timed out waiting for checkpoint " + n + " (have " + m + ")");
            }
            Thread.sleep(50);
        }
    }

    // ------------------------------------------------------------------------------------------

    static String hex(long seed, int len) {
        StringBuilder sb = new StringBuilder(len);
        long x = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        while (sb.length() < len) {
            x ^= x >>> 33; x *= 0xff51afd7ed558ccdL; x ^= x >>> 33; x *= 0xc4ceb9fe1a85ec53L; x ^= x >>> 33;
            String h = Long.toHexString(x);
            sb.append(h);
        }
        return sb.substring(0, len);
    }

    /** Builds a StateTtlConfig with either newBuilder(Duration) (1.19+/2.x) or newBuilder(Time) (1.x). */
    static StateTtlConfig ttl(long millis) {
        try {
            Method m;
            Object builder;
            try {
                m = StateTtlConfig.class.getMethod("newBuilder", Duration.class);
                builder = m.invoke(null, Duration.ofMillis(millis));
            } catch (NoSuchMethodException e) {
                Class<?> time = Class.forName("org.apache.flink.api.common.time.Time");
                Object t = time.getMethod("milliseconds", long.class).invoke(null, millis);
                m = StateTtlConfig.class.getMethod("newBuilder", time);
                builder = m.invoke(null, t);
            }
            StateTtlConfig.Builder b = (StateTtlConfig.Builder) builder;
            b.setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite);
            b.setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired);
            return b.build();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * NumberSequenceSource (FLIP-27, reader state "SourceReaderState" + enumerator state) with uneven splits:
     * one practically endless split and, if finiteCount > 0, one split of finiteCount numbers. The reader that
     * gets the short split finishes early, which puts finished-subtask markers into later checkpoints.
     */
    public static class UnevenNumberSource extends NumberSequenceSource {
        private final long finiteCount;

        public UnevenNumberSource(long finiteCount) {
            super(0, Long.MAX_VALUE / 4);
            this.finiteCount = finiteCount;
        }

        @Override
        protected List<NumberSequenceSplit> splitNumberRange(long from, long to, int numSplits) {
            if (finiteCount <= 0 || numSplits < 2) return super.splitNumberRange(from, to, numSplits);
            List<NumberSequenceSplit> splits = new ArrayList<>(super.splitNumberRange(1_000_000_000L, to, numSplits - 1));
            splits.add(new NumberSequenceSplit(String.valueOf(numSplits - 1), 0, finiteCount - 1));
            return splits;
        }
    }

    public static class ModKey implements KeySelector<Long, Long> {
        private final long mod;
        public ModKey(long mod) { this.mod = mod; }
        @Override public Long getKey(Long v) { return Math.floorMod(v, mod); }
    }

    /** Throttles the source and keeps the last N values (as strings) in split-distribute list state. */
    public static class ThrottleMap implements MapFunction<Long, Long>, CheckpointedFunction {
        private final int every;
        private final int listSize;
        private transient ListState<String> state;
        private transient ArrayList<String> recent;
        private transient long seen;

        public ThrottleMap(int every, int listSize) { this.every = every; this.listSize = listSize; }

        @Override public Long map(Long v) throws Exception {
            if (seen == 0) FIRST_VALUES.add(v);
            seen++;
            if (every > 0 && seen % every == 0) Thread.sleep(1);
            if (recent.size() >= listSize) recent.remove(0);
            recent.add(String.format("v-%019d-%s", v, hex(v, 40)));  // 62 chars
            return v;
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
            state.update(recent);
        }

        @Override public void initializeState(FunctionInitializationContext ctx) throws Exception {
            state = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("recent-values", Types.STRING));
            recent = new ArrayList<>();
            if (ctx.isRestored()) {
                for (String s : state.get()) recent.add(s);
                THROTTLE_RESTORED.add(recent.size());
            }
        }
    }

    /** Stores rules in broadcast state, and tags each record (passes it through). */
    public static class RuleEnricher extends BroadcastProcessFunction<Long, Long, Long> {
        @Override public void processElement(Long v, ReadOnlyContext ctx, Collector<Long> out) throws Exception {
            ReadOnlyBroadcastState<Integer, String> rules = ctx.getBroadcastState(RULES);
            String r = rules.get((int) Math.floorMod(v, 64L));
            out.collect(r == null ? v : v + 1);
        }

        @Override public void processBroadcastElement(Long r, Context ctx, Collector<Long> out) throws Exception {
            BroadcastState<Integer, String> rules = ctx.getBroadcastState(RULES);
            rules.put(r.intValue(), "rule-" + r + "-" + hex(r, 8));
        }
    }

    /** Keyed state of every basic kind plus processing-time timers. */
    public static class KeyedStateFunction extends KeyedProcessFunction<Long, Long, Long> {
        private final int slowEvery;
        private final int attrLen;
        private transient ValueState<Long> count;      // with TTL
        private transient ValueState<String> last;
        private transient ListState<Long> recent;
        private transient MapState<Integer, String> attributes;
        private transient long processed;

        public KeyedStateFunction(int slowEvery, int attrLen) { this.slowEvery = slowEvery; this.attrLen = attrLen; }

        private void init() {
            if (count != null) return;
            ValueStateDescriptor<Long> countDesc = new ValueStateDescriptor<>("count", Types.LONG);
            countDesc.enableTimeToLive(ttl(3_600_000L));
            count = getRuntimeContext().getState(countDesc);
            last = getRuntimeContext().getState(new ValueStateDescriptor<>("last-seen", Types.STRING));
            recent = getRuntimeContext().getListState(new ListStateDescriptor<>("recent", Types.LONG));
            attributes = getRuntimeContext().getMapState(new MapStateDescriptor<>("attributes", Types.INT, Types.STRING));
        }

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            init();
            processed++;
            if (slowEvery > 0 && processed % slowEvery == 0) Thread.sleep(1);
            long key = ctx.getCurrentKey();
            Long c = count.value();
            FIRST_COUNT.putIfAbsent(key, c == null ? 0L : c);
            long n = c == null ? 1 : c + 1;
            count.update(n);                                  // every key, every record (TTL state)
            // The other states are written only during the first records of each key, so that after a short
            // warm-up only "count" (and the window contents) change between checkpoints: with RocksDB the other
            // column families keep their SST files, which incremental checkpoints then reuse.
            if (Math.floorMod(key, 4L) == 0 && n <= 3) {
                last.update(Long.toHexString(v));             // a quarter of the keys
            } else if (Math.floorMod(key, 4L) == 1 && n <= 3) {
                recent.add(v);                                // another quarter: lists of 3 elements
            }
            if (c == null) {
                // written once per key: this column family rarely changes (RocksDB SSTs get reused)
                attributes.put(0, hex(key, attrLen));
                if (Math.floorMod(key, 2L) == 0) {
                    // half of the keys get a processing-time timer (re-armed when it fires)
                    long ts = ctx.timerService().currentProcessingTime() + 20_000L + Math.floorMod(key, 1000L) * 10;
                    ctx.timerService().registerProcessingTimeTimer(ts);
                }
            } else if (n == 10 && Math.floorMod(key, 3L) == 0) {
                attributes.put(1, hex(key + 1_000_000L, attrLen));  // a later, small delta
            }
            out.collect(v);
        }

        @Override public void onTimer(long ts, OnTimerContext ctx, Collector<Long> out) throws Exception {
            init();
            ctx.timerService().registerProcessingTimeTimer(ts + 20_000L);
            out.collect(ctx.getCurrentKey());
        }
    }

    /** Tumbling processing-time windows without the Time/Duration API differences between versions. */
    public static class TumblingProcessingWindows extends WindowAssigner<Object, TimeWindow> {
        private final long size;
        public TumblingProcessingWindows(long size) { this.size = size; }

        @Override public Collection<TimeWindow> assignWindows(Object element, long timestamp, WindowAssignerContext context) {
            long now = context.getCurrentProcessingTime();
            long start = now - Math.floorMod(now, size);
            return Collections.singletonList(new TimeWindow(start, start + size));
        }

        // Flink 2.x (abstract) and 1.19+ (non-abstract)
        @SuppressWarnings("unchecked")
        public Trigger<Object, TimeWindow> getDefaultTrigger() {
            return (Trigger<Object, TimeWindow>) (Trigger<?, ?>) ProcessingTimeTrigger.create();
        }

        // Flink 1.x (abstract); a plain extra method on 2.x
        public Trigger<Object, TimeWindow> getDefaultTrigger(StreamExecutionEnvironment env) {
            return getDefaultTrigger();
        }

        @Override public TypeSerializer<TimeWindow> getWindowSerializer(ExecutionConfig executionConfig) {
            return new TimeWindow.Serializer();
        }

        @Override public boolean isEventTime() { return false; }
    }

    public static class SumReduce implements ReduceFunction<Long> {
        @Override public Long reduce(Long a, Long b) { return a + b; }
    }

    /** Terminal operator with union list state. */
    public static class UnionStateSink extends ProcessFunction<Long, Long> implements CheckpointedFunction {
        private transient ListState<Long> union;
        private transient long count;
        private transient long sum;

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) {
            count++;
            sum += v;
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
            List<Long> l = new ArrayList<>();
            l.add(count);
            l.add(sum);
            l.add(ctx.getCheckpointId());
            union.update(l);
        }

        @Override public void initializeState(FunctionInitializationContext ctx) throws Exception {
            union = ctx.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("sink-summary", Types.LONG));
        }
    }
}
