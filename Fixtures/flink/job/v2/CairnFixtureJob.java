import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;

/**
 * Version 2 of the fixture job's typed pipeline, for `restore-check.sh` case `migrate`: compiled on its own (the
 * classes keep their v1 names, CairnFixtureJob$TypedPojo and CairnFixtureJob$Detail, with changed fields), it
 * restores operator typed-state from a savepoint of the v1 job (`--typed-state`) and checks every key's values
 * against what v1 wrote, which is deterministic from the key k and its count n (v1 sees the values k, k+K, k+2K, …
 * for K keys).
 *
 * Schema changes from v1 (the plan in restore-check.sh says the same):
 *   TypedPojo: count int → long (widened), ratio renamed to score, payload dropped, priority (long) added;
 *   Detail:    weight float → double (widened), unit (String) added — in TypedPojo.detail and in ListState details;
 *   row:       Row(id INT, label STRING, score DOUBLE, flag BOOLEAN) → Row(id BIGINT, label STRING, score DOUBLE,
 *              extra BIGINT): id widened, flag dropped, extra added.
 *
 * Arguments: --restore-from PATH, --keys K (v1's --typed-keys, default 40), --backend hashmap|rocksdb (default rocksdb),
 * --priority P / --unit U / --extra E (the plan's defaults: 7, kg, -1). Prints one V2_CHECK line per key
 * (ok=1 or the first mismatch), V2_SAMPLE with one key's values, and JOB_STATUS; exits 3 if the job fails (for
 * instance, when Flink refuses the state as incompatible).
 */
public class CairnFixtureJob {
    public enum Color { RED, GREEN, BLUE }

    public static class Detail {
        public String label;
        public short level;
        public char letter;
        public double weight;   // v1: float
        public byte tiny;
        public String unit;     // new
        public Detail() {}
    }

    public static class TypedPojo {
        public String name;
        public long count;      // v1: int
        public long total;
        public double score;    // v1: ratio
        public boolean active;
        public Integer maybe;
        public Color color;
        public Detail detail;
        public List<String> tags;
        public Map<String, Integer> counters;
        // v1's byte[] payload is gone
        public BigDecimal amount;
        public java.time.Instant when;
        public java.util.Date day;
        public long priority;   // new
        public TypedPojo() {}
    }

    static int KEYS = 40;
    static long PRIORITY = 7;
    static String UNIT = "kg";
    static long EXTRA = -1;

    public static void main(String[] args) throws Exception {
        String restoreFrom = null, backend = "rocksdb";
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--restore-from": restoreFrom = v; i++; break;
                case "--keys": KEYS = Integer.parseInt(v); i++; break;
                case "--backend": backend = v; i++; break;
                case "--priority": PRIORITY = Long.parseLong(v); i++; break;
                case "--unit": UNIT = v; i++; break;
                case "--extra": EXTRA = Long.parseLong(v); i++; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (restoreFrom == null) throw new IllegalArgumentException("--restore-from is required");
        Map<String, String> conf = new HashMap<>();
        conf.put("execution.state-recovery.path", restoreFrom);
        conf.put("execution.state-recovery.ignore-unclaimed-state", "true");
        conf.put("state.backend.type", backend);
        conf.put("restart-strategy.type", "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, Configuration.fromMap(conf));
        @SuppressWarnings({"unchecked", "rawtypes"})
        TypeInformation<Tuple2<String, Integer>> keyType = (TypeInformation) Types.TUPLE(Types.STRING, Types.INT);
        env.fromSequence(0, KEYS - 1).uid("v2-keys").name("v2-keys").setParallelism(1)
                .keyBy(new TupleKey(KEYS), keyType)
                .process(new Check(), Types.LONG)
                .uid("typed-state").name("typed-state").setParallelism(2).setMaxParallelism(128)
                .print().setParallelism(1);
        try {
            env.execute("cairn-fixture-job-v2");
            System.out.println("JOB_STATUS FINISHED");
        } catch (Exception e) {
            System.out.println("JOB_STATUS FAILED");
            for (Throwable t = e; t != null; t = t.getCause()) System.out.println("CAUSE " + t);
            System.out.flush();
            System.exit(3);
        }
        System.out.flush();
        System.exit(0);
    }

    public static class TupleKey implements KeySelector<Long, Tuple2<String, Integer>> {
        private final int mod;
        public TupleKey(int mod) { this.mod = mod; }
        @Override public Tuple2<String, Integer> getKey(Long v) {
            int k = (int) Math.floorMod(v, (long) mod);
            return Tuple2.of("key-" + k, k);
        }
    }

    static void expect(boolean ok, String what, Object got) {
        if (!ok) throw new IllegalStateException(what + " (got " + got + ")");
    }

    public static class Check extends KeyedProcessFunction<Tuple2<String, Integer>, Long, Long> {
        private transient ValueState<TypedPojo> pojo;
        private transient ValueState<Row> row;
        private transient ListState<Detail> details;

        @Override public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
            pojo = getRuntimeContext().getState(new ValueStateDescriptor<>("pojo", TypedPojo.class));
            row = getRuntimeContext().getState(new ValueStateDescriptor<>("row", Types.ROW_NAMED(
                    new String[] {"id", "label", "score", "extra"}, Types.LONG, Types.STRING, Types.DOUBLE, Types.LONG)));
            details = getRuntimeContext().getListState(new ListStateDescriptor<>("details", Detail.class));
        }

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            int k = ctx.getCurrentKey().f1;
            String result = "ok=1";
            try {
                check(k);
            } catch (Exception e) {
                result = "ok=0 problem=" + String.valueOf(e.getMessage()).replace(' ', '_');
            }
            System.out.println("V2_CHECK key=" + k + " " + result);
            out.collect(v);
        }

        void check(int k) throws Exception {
            TypedPojo p = pojo.value();
            expect(p != null, "pojo is missing", null);
            long n = p.count;
            expect(n >= 1, "count >= 1", n);
            expect(("pojo-" + k).equals(p.name), "name", p.name);
            expect(p.total == n * k + (long) KEYS * n * (n - 1) / 2, "total = n*k + K*n(n-1)/2", p.total);
            expect(p.score == n / (double) (k + 1), "score (renamed from ratio) = n/(k+1)", p.score);
            expect(p.priority == PRIORITY, "priority (added) = " + PRIORITY, p.priority);
            expect(p.active == (n % 2 == 0), "active", p.active);
            expect(n % 3 == 0 ? p.maybe == null : p.maybe != null && p.maybe == n, "maybe", p.maybe);
            expect(p.color == Color.values()[(int) (n % 3)], "color", p.color);
            expect(p.tags != null && p.tags.size() == Math.min(n, 3), "tags size", p.tags);
            for (int i = 0; i < p.tags.size(); i++) expect(("t" + (i + 1)).equals(p.tags.get(i)), "tag " + i, p.tags.get(i));
            expect(p.counters != null && p.counters.get("seen") == n && p.counters.get("k") == k, "counters", p.counters);
            expect(new BigDecimal(k).movePointLeft(2).equals(p.amount), "amount", p.amount);
            expect(java.time.Instant.ofEpochSecond(1_764_763_200L + k, k * 1000).equals(p.when), "when", p.when);
            expect(p.day != null && p.day.getTime() == 1_764_763_200_000L + k * 86_400_000L, "day", p.day);
            Detail d = p.detail;
            expect(d != null && ("d-" + k).equals(d.label) && d.level == (short) (k * 3) && d.letter == (char) ('A' + k % 26)
                    && d.tiny == (byte) (-k), "detail", d);
            expect(d.weight == k / 4.0, "detail.weight (widened) = k/4", d.weight);
            expect(UNIT.equals(d.unit), "detail.unit (added) = " + UNIT, d.unit);

            List<Detail> list = new ArrayList<>();
            for (Detail x : details.get()) list.add(x);
            expect(list.size() == Math.min(n, 3), "details size", list.size());
            for (int i = 0; i < list.size(); i++) {
                Detail x = list.get(i);
                int j = i + 1;
                expect(("det-" + j).equals(x.label) && x.level == j && x.letter == 'x' && x.tiny == j, "details[" + i + "]", x.label);
                expect(x.weight == j * 1.5, "details[" + i + "].weight (widened)", x.weight);
                expect(UNIT.equals(x.unit), "details[" + i + "].unit (added)", x.unit);
            }

            Row r = row.value();
            long last = k + (long) KEYS * (n - 1);   // the value v of the last update
            expect(r != null && r.getArity() == 4, "row arity 4", r);
            expect(Long.valueOf(k).equals(r.getField(0)), "row id (widened)", r.getField(0));
            expect(Long.valueOf(EXTRA).equals(r.getField(3)), "row extra (added) = " + EXTRA, r.getField(3));
            if (n % 4 == 0) {
                expect(r.getKind() == RowKind.UPDATE_AFTER && r.getField(1) == null && Double.valueOf(last / 3.0).equals(r.getField(2)), "row (UPDATE_AFTER)", r);
            } else {
                expect(r.getKind() == RowKind.INSERT && ("row-" + n).equals(r.getField(1)), "row label", r);
                expect(n % 5 == 0 ? r.getField(2) == null : Double.valueOf(last / 3.0).equals(r.getField(2)), "row score", r.getField(2));
            }
            if (k == 3) {
                System.out.println("V2_SAMPLE key=3 count=" + n + " total=" + p.total + " score=" + p.score + " priority=" + p.priority
                        + " detail.weight=" + d.weight + " detail.unit=" + d.unit + " details=" + list.size() + " row=" + r);
            }
        }
    }
}
