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
 *   --max-parallelism-keyed N max parallelism of keyed-state (default 256, as in fixture generation)
 *   --parallelism-keyed N     parallelism of keyed-state (default 3, as in fixture generation)
 *   --rename OLD=NEW          (repeatable) use uid NEW where the job normally uses uid OLD
 *   --without OPERATOR        (repeatable) leave out union-sink or window-reduce (window-reduce takes the sink along)
 *
 * Typed-state mode (scenarios typed-hashmap / typed-rocksdb; without the flag the job above is unchanged):
 *   --typed-state             run ONLY the typed pipeline instead of the operators above: typed-source ->
 *                             typed-state (keyed by Tuple2<String,Integer>: POJO, Tuple3, Row, Either, arrays, list of
 *                             POJOs, map of tuples, POJO with TTL, event-time timers) -> typed-window (event-time
 *                             tumbling window, AggregateFunction with a Tuple2 accumulator) and a SQL GROUP BY
 *                             aggregation (RowData state); sinks typed-window-sink, typed-sql-sink.
 *   --typed-keys K            number of distinct keys of typed-state / typed-window (default 40)
 *   --typed-parallelism P     parallelism of the typed pipeline's keyed operators (default 2)
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
        int keyedMaxParallelism = 256;
        int keyedParallelism = 3;
        Map<String, String> renames = new LinkedHashMap<>();
        Set<String> without = new HashSet<>();
        Map<String, String> conf = new LinkedHashMap<>();
        boolean typedState = false;
        int typedKeys = 40;
        int typedParallelism = 2;
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
                case "--max-parallelism-keyed": keyedMaxParallelism = Integer.parseInt(v); i++; break;
                case "--parallelism-keyed": keyedParallelism = Integer.parseInt(v); i++; break;
                case "--rename": {
                    int eq = v.indexOf('=');
                    renames.put(v.substring(0, eq), v.substring(eq + 1));
                    i++;
                    break;
                }
                case "--without": without.add(v); i++; break;
                case "--typed-state": typedState = true; break;
                case "--typed-keys": typedKeys = Integer.parseInt(v); i++; break;
                case "--typed-parallelism": typedParallelism = Integer.parseInt(v); i++; break;
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

        if (typedState) {
            TypedState.build(env, typedKeys, typedParallelism);
        } else {
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
                .uid(renames.getOrDefault("keyed-state", "keyed-state")).name("keyed-state").setParallelism(keyedParallelism).setMaxParallelism(keyedMaxParallelism);

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

    // ==========================================================================================
    // Typed-state mode: every kind of value a real job keeps (scenarios typed-hashmap, typed-rocksdb)
    // ==========================================================================================

    public enum Color { RED, GREEN, BLUE }

    /** Nested POJO (also the element type of the "details" list state). Fields are sorted by name in the serializer. */
    public static class Detail {
        public String label;
        public short level;
        public char letter;
        public float weight;
        public byte tiny;

        public Detail() {}

        public Detail(String label, short level, char letter, float weight, byte tiny) {
            this.label = label; this.level = level; this.letter = letter; this.weight = weight; this.tiny = tiny;
        }
    }

    /**
     * POJO with fields of many types. List/Map fields are ListSerializer/MapSerializer in Flink 2.x, but generic (Kryo)
     * types in Flink 1.x, whose TypeExtractor does not analyse collections.
     */
    public static class TypedPojo {
        public String name;
        public int count;
        public long total;
        public double ratio;
        public boolean active;
        public Integer maybe;              // null for every third update
        public Color color;                // EnumSerializer
        public Detail detail;              // nested PojoSerializer
        public List<String> tags;          // ListSerializer (2.x) / Kryo (1.x)
        public Map<String, Integer> counters;  // MapSerializer (2.x) / Kryo (1.x)
        public byte[] payload;             // BytePrimitiveArraySerializer
        public java.math.BigDecimal amount;    // BigDecSerializer
        public java.time.Instant when;     // InstantSerializer
        public java.util.Date day;         // DateSerializer

        public TypedPojo() {}
    }

    static final long TYPED_EPOCH = 1_764_763_200_000L;   // 2025-12-03T12:00:00Z: event time = epoch + v * 100 ms

    public static class TypedState {

        @SuppressWarnings({"unchecked", "rawtypes"})
        static void build(StreamExecutionEnvironment env, int keys, int parallelism) {
            env.setParallelism(parallelism);
            DataStream<Long> numbers = env.fromSource(new org.apache.flink.api.connector.source.lib.NumberSequenceSource(0, Long.MAX_VALUE / 4),
                            WatermarkStrategy.<Long>forMonotonousTimestamps().withTimestampAssigner(new EventTime()),
                            "typed-source")
                    .uid("typed-source").name("typed-source").setParallelism(1);
            DataStream<Long> throttled = numbers.map(new Throttle()).uid("typed-throttle").name("typed-throttle").setParallelism(1);

            org.apache.flink.api.common.typeinfo.TypeInformation<org.apache.flink.api.java.tuple.Tuple2<String, Integer>> keyType =
                    (org.apache.flink.api.common.typeinfo.TypeInformation) Types.TUPLE(Types.STRING, Types.INT);
            DataStream<Long> typed = throttled
                    .keyBy(new TupleKey(keys), keyType)
                    .process(new TypedFunction(), Types.LONG)
                    .uid("typed-state").name("typed-state").setMaxParallelism(128);

            org.apache.flink.api.common.typeinfo.TypeInformation<org.apache.flink.api.java.tuple.Tuple2<Long, Long>> accType =
                    (org.apache.flink.api.common.typeinfo.TypeInformation) Types.TUPLE(Types.LONG, Types.LONG);
            DataStream<Double> averages = typed
                    .keyBy(new StringKey(keys), Types.STRING)
                    .window(new TumblingEventWindows(60_000L))
                    .aggregate(new AverageAggregate(), accType, Types.DOUBLE)
                    .uid("typed-window").name("typed-window").setMaxParallelism(128);
            averages.process(new DoubleSink(), Types.LONG).uid("typed-window-sink").name("typed-window-sink");

            // ---- SQL: GROUP BY aggregation, state in RowData (RowDataSerializer snapshots)
            org.apache.flink.table.api.bridge.java.StreamTableEnvironment tEnv =
                    org.apache.flink.table.api.bridge.java.StreamTableEnvironment.create(env);
            org.apache.flink.api.common.typeinfo.TypeInformation<org.apache.flink.types.Row> rowType = Types.ROW_NAMED(
                    new String[] {"tag", "v", "d", "ts", "amount", "sub"},
                    Types.STRING, Types.LONG, Types.DOUBLE, Types.LOCAL_DATE_TIME, Types.BIG_DEC, Types.INT);
            DataStream<org.apache.flink.types.Row> rows = typed.map(new ToRow(keys), rowType)
                    .uid("typed-rows").name("typed-rows");
            tEnv.createTemporaryView("events", tEnv.fromDataStream(rows));
            org.apache.flink.table.api.Table agg = tEnv.sqlQuery(
                    "SELECT tag, COUNT(*) AS cnt, SUM(v) AS total, AVG(d) AS avg_d, MAX(ts) AS max_ts, "
                            + "MIN(CAST(amount AS DECIMAL(12, 3))) AS min_amount, COUNT(DISTINCT sub) AS subs "
                            + "FROM events GROUP BY tag");
            tEnv.toChangelogStream(agg).process(new RowSink(), Types.LONG).uid("typed-sql-sink").name("typed-sql-sink");
        }
    }

    public static class EventTime implements org.apache.flink.api.common.eventtime.SerializableTimestampAssigner<Long> {
        @Override public long extractTimestamp(Long v, long recordTimestamp) { return TYPED_EPOCH + v * 100L; }
    }

    public static class Throttle implements MapFunction<Long, Long> {
        @Override public Long map(Long v) throws Exception {
            Thread.sleep(1);
            return v;
        }
    }

    public static class TupleKey implements KeySelector<Long, org.apache.flink.api.java.tuple.Tuple2<String, Integer>> {
        private final int mod;
        public TupleKey(int mod) { this.mod = mod; }
        @Override public org.apache.flink.api.java.tuple.Tuple2<String, Integer> getKey(Long v) {
            int k = (int) Math.floorMod(v, (long) mod);
            return org.apache.flink.api.java.tuple.Tuple2.of("key-" + k, k);
        }
    }

    public static class StringKey implements KeySelector<Long, String> {
        private final int mod;
        public StringKey(int mod) { this.mod = mod; }
        @Override public String getKey(Long v) { return "w-" + Math.floorMod(v, (long) mod); }
    }

    /** Keyed state of every common value type. Key = Tuple2<String,Integer> (deterministic hashCode). */
    public static class TypedFunction
            extends KeyedProcessFunction<org.apache.flink.api.java.tuple.Tuple2<String, Integer>, Long, Long> {
        private transient ValueState<TypedPojo> pojo;
        private transient ValueState<org.apache.flink.api.java.tuple.Tuple3<String, Long, Double>> tuple;
        private transient ValueState<org.apache.flink.types.Row> row;
        private transient ValueState<org.apache.flink.types.Either<String, Long>> either;
        private transient ValueState<int[]> ints;
        private transient ValueState<byte[]> bytes;
        private transient ValueState<String[]> strings;
        private transient ListState<Detail> details;
        private transient MapState<String, org.apache.flink.api.java.tuple.Tuple2<Long, Double>> map;
        private transient ValueState<TypedPojo> pojoTtl;

        @SuppressWarnings({"unchecked", "rawtypes"})
        private void init() {
            if (pojo != null) return;
            org.apache.flink.api.common.functions.RuntimeContext rc = getRuntimeContext();
            pojo = rc.getState(new ValueStateDescriptor<>("pojo", TypedPojo.class));
            tuple = rc.getState(new ValueStateDescriptor<>("tuple",
                    (org.apache.flink.api.common.typeinfo.TypeInformation) Types.TUPLE(Types.STRING, Types.LONG, Types.DOUBLE)));
            row = rc.getState(new ValueStateDescriptor<>("row", Types.ROW_NAMED(
                    new String[] {"id", "label", "score", "flag"}, Types.INT, Types.STRING, Types.DOUBLE, Types.BOOLEAN)));
            either = rc.getState(new ValueStateDescriptor<>("either", Types.EITHER(Types.STRING, Types.LONG)));
            ints = rc.getState(new ValueStateDescriptor<>("ints",
                    (org.apache.flink.api.common.typeinfo.TypeInformation) Types.PRIMITIVE_ARRAY(Types.INT)));
            bytes = rc.getState(new ValueStateDescriptor<>("bytes",
                    (org.apache.flink.api.common.typeinfo.TypeInformation) Types.PRIMITIVE_ARRAY(Types.BYTE)));
            strings = rc.getState(new ValueStateDescriptor<>("strings",
                    org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO));
            details = rc.getListState(new ListStateDescriptor<>("details", Detail.class));
            map = rc.getMapState(new MapStateDescriptor<>("map", Types.STRING,
                    (org.apache.flink.api.common.typeinfo.TypeInformation) Types.TUPLE(Types.LONG, Types.DOUBLE)));
            ValueStateDescriptor<TypedPojo> ttlDesc = new ValueStateDescriptor<>("pojo-ttl", TypedPojo.class);
            ttlDesc.enableTimeToLive(ttl(7L * 24 * 3_600_000L));
            pojoTtl = rc.getState(ttlDesc);
        }

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            init();
            int k = ctx.getCurrentKey().f1;
            TypedPojo p = pojo.value();
            if (p == null) {
                p = new TypedPojo();
                p.name = "pojo-" + k;
                p.detail = new Detail("d-" + k, (short) (k * 3), (char) ('A' + k % 26), k / 4.0f, (byte) (-k));
                p.tags = new ArrayList<>();
                p.counters = new java.util.HashMap<>();
                p.amount = new java.math.BigDecimal(k).movePointLeft(2);
                p.when = java.time.Instant.ofEpochSecond(1_764_763_200L + k, k * 1000);
                p.day = new java.util.Date(TYPED_EPOCH + k * 86_400_000L);
                // event-time timers for half of the keys, far in the future (they stay in the snapshots)
                if (k % 2 == 0) ctx.timerService().registerEventTimeTimer(TYPED_EPOCH + 86_400_000L + k);
            }
            int n = p.count + 1;
            p.count = n;
            p.total += v;
            p.ratio = n / (double) (k + 1);
            p.active = n % 2 == 0;
            p.maybe = (n % 3 == 0) ? null : n;
            p.color = Color.values()[n % 3];
            if (p.tags.size() < 3) p.tags.add("t" + n);
            p.counters.put("seen", n);
            p.counters.put("k", k);
            p.payload = new byte[] {(byte) k, (byte) n, (byte) 0xff};
            pojo.update(p);

            tuple.update(org.apache.flink.api.java.tuple.Tuple3.of("k" + k, v, v / 7.0));
            org.apache.flink.types.Row r = (n % 4 == 0)
                    ? org.apache.flink.types.Row.ofKind(org.apache.flink.types.RowKind.UPDATE_AFTER, k, null, v / 3.0, null)
                    : org.apache.flink.types.Row.of(k, "row-" + n, (n % 5 == 0) ? null : v / 3.0, n % 2 == 0);
            row.update(r);
            either.update(n % 2 == 0 ? org.apache.flink.types.Either.Left("left-" + n) : org.apache.flink.types.Either.Right(v));
            ints.update(new int[] {k, n, -1});
            bytes.update(new byte[] {(byte) 0xca, (byte) 0xfe, (byte) k});
            strings.update(new String[] {"s" + k, (n % 2 == 0) ? null : "odd", ""});
            if (n <= 3) details.add(new Detail("det-" + n, (short) n, 'x', n * 1.5f, (byte) n));
            map.put("m" + (n % 4), org.apache.flink.api.java.tuple.Tuple2.of(v, v / 8.0));
            // no null map values: Flink's heap canonical savepoint writer (HeapKeyValueStateIterator.MapStateIterator)
            // serializes them without a null check and fails the savepoint with a NullPointerException
            if (k % 2 == 0) pojoTtl.update(p);
            out.collect(v);
        }

        @Override public void onTimer(long ts, OnTimerContext ctx, Collector<Long> out) {
        }
    }

    /** Tumbling event-time windows without the Time/Duration API differences between versions. */
    public static class TumblingEventWindows extends WindowAssigner<Object, TimeWindow> {
        private final long size;
        public TumblingEventWindows(long size) { this.size = size; }

        @Override public Collection<TimeWindow> assignWindows(Object element, long timestamp, WindowAssignerContext context) {
            long start = timestamp - Math.floorMod(timestamp, size);
            return Collections.singletonList(new TimeWindow(start, start + size));
        }

        @SuppressWarnings("unchecked")
        public Trigger<Object, TimeWindow> getDefaultTrigger() {
            return (Trigger<Object, TimeWindow>) (Trigger<?, ?>) org.apache.flink.streaming.api.windowing.triggers.EventTimeTrigger.create();
        }

        public Trigger<Object, TimeWindow> getDefaultTrigger(StreamExecutionEnvironment env) {
            return getDefaultTrigger();
        }

        @Override public TypeSerializer<TimeWindow> getWindowSerializer(ExecutionConfig executionConfig) {
            return new TimeWindow.Serializer();
        }

        @Override public boolean isEventTime() { return true; }
    }

    /** Average with a Tuple2<Long,Long> (sum, count) accumulator. */
    public static class AverageAggregate implements org.apache.flink.api.common.functions.AggregateFunction<
            Long, org.apache.flink.api.java.tuple.Tuple2<Long, Long>, Double> {
        @Override public org.apache.flink.api.java.tuple.Tuple2<Long, Long> createAccumulator() {
            return org.apache.flink.api.java.tuple.Tuple2.of(0L, 0L);
        }
        @Override public org.apache.flink.api.java.tuple.Tuple2<Long, Long> add(Long v, org.apache.flink.api.java.tuple.Tuple2<Long, Long> a) {
            return org.apache.flink.api.java.tuple.Tuple2.of(a.f0 + v, a.f1 + 1);
        }
        @Override public Double getResult(org.apache.flink.api.java.tuple.Tuple2<Long, Long> a) {
            return a.f1 == 0 ? 0.0 : a.f0 / (double) a.f1;
        }
        @Override public org.apache.flink.api.java.tuple.Tuple2<Long, Long> merge(
                org.apache.flink.api.java.tuple.Tuple2<Long, Long> a, org.apache.flink.api.java.tuple.Tuple2<Long, Long> b) {
            return org.apache.flink.api.java.tuple.Tuple2.of(a.f0 + b.f0, a.f1 + b.f1);
        }
    }

    public static class ToRow implements MapFunction<Long, org.apache.flink.types.Row> {
        private final int keys;
        public ToRow(int keys) { this.keys = keys; }
        @Override public org.apache.flink.types.Row map(Long v) {
            int k = (int) Math.floorMod(v, (long) keys);
            return org.apache.flink.types.Row.of("tag-" + (k % 10), v, v / 16.0,
                    java.time.LocalDateTime.ofEpochSecond((TYPED_EPOCH + v * 100L) / 1000L, (int) Math.floorMod(v, 10L) * 100_000_000, java.time.ZoneOffset.UTC),
                    new java.math.BigDecimal(v).movePointLeft(3), (int) Math.floorMod(v, 7L));
        }
    }

    public static class DoubleSink extends ProcessFunction<Double, Long> {
        @Override public void processElement(Double v, Context ctx, Collector<Long> out) {}
    }

    public static class RowSink extends ProcessFunction<org.apache.flink.types.Row, Long> {
        @Override public void processElement(org.apache.flink.types.Row v, Context ctx, Collector<Long> out) {}
    }
}
