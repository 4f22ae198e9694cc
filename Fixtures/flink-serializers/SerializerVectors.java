/*
 * Writes serializer snapshots and values with Flink's own serializers, for the types the fixture job does not use,
 * so Cairn's Swift decoders (Sources/CairnFlink/Serializers) are checked against real bytes.
 *
 *   bash Fixtures/flink-serializers/generate.sh      (needs Java 17 and $FLINK_BASE/flink-2.3.0, like Fixtures/flink)
 *
 * Output (stdout, written to vectors-<version>.tsv): one line per case,
 *   name <TAB> snapshot hex (TypeSerializerSnapshotSerializationUtil form: int 2, class, version, payload)
 *   <TAB> value hex ":" hashCode() ":" key group at max parallelism 128 ("-" when the hash is not value-based) <";" next value>
 */

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshotSerializationUtil;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.runtime.NullableSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.*;
import org.apache.flink.types.Either;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.*;

public class SerializerVectors {
    public enum Color { RED, GREEN, BLUE }

    /** A POJO: fields are serialized sorted by name (amount, id, note, tags). */
    public static class Order {
        public long id;
        public Double amount;
        public String note;
        public List<String> tags;
        public Order() {}
        Order(long id, Double amount, String note, List<String> tags) { this.id = id; this.amount = amount; this.note = note; this.tags = tags; }
    }

    /** Not a POJO (no default constructor): Kryo. */
    public static class Opaque {
        final int x;
        Opaque(int x) { this.x = x; }
    }

    static final StringBuilder out = new StringBuilder();

    static String hex(byte[] b, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) s.append(String.format("%02x", b[i]));
        return s.toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static void emit(String name, TypeSerializer ser, boolean hashable, Object... values) throws Exception {
        DataOutputSerializer snap = new DataOutputSerializer(256);
        TypeSerializerSnapshotSerializationUtil.writeSerializerSnapshot(snap, ser.snapshotConfiguration());
        out.append(name).append('\t').append(hex(snap.getSharedBuffer(), snap.length())).append('\t');
        for (int i = 0; i < values.length; i++) {
            DataOutputSerializer v = new DataOutputSerializer(64);
            ser.serialize(values[i], v);
            Object key = values[i];
            if (ser instanceof RowDataSerializer) key = ((RowDataSerializer) ser).toBinaryRow((GenericRowData) values[i]);
            String h = hashable && key != null ? key.hashCode() + ":" + KeyGroupRangeAssignment.assignToKeyGroup(key, 128) : "-:-";
            out.append(i == 0 ? "" : ";").append(hex(v.getSharedBuffer(), v.length())).append(':').append(h);
        }
        out.append('\n');
    }

    static <T> TypeSerializer<T> ser(TypeInformation<T> t) { return t.createSerializer(new SerializerConfigImpl()); }

    public static void main(String[] args) throws Exception {
        emit("string", StringSerializer.INSTANCE, true, "k-42", "", "a\uD83D\uDE00b\u0000\u00fc", "x".repeat(300));
        emit("tuple2", ser(Types.TUPLE(Types.STRING, Types.INT)), true, Tuple2.of("a", 1), Tuple2.of("k-7", -5));
        emit("row", ser(Types.ROW(Types.INT, Types.STRING, Types.LONG)), true,
                Row.ofKind(RowKind.UPDATE_AFTER, 1, null, 3L), Row.of(-1, "x", null));
        emit("either", ser(new EitherTypeInfo<>(Types.INT, Types.STRING)), false, Either.Left(5), Either.Right("r"));
        emit("nullable", NullableSerializer.wrap(LongSerializer.INSTANCE, true), false, 7L, null);
        emit("enum", ser(Types.ENUM(Color.class)), false, Color.BLUE, Color.RED);
        emit("pojo", ser(Types.POJO(Order.class)), false,
                new Order(9, 2.5, "n", Arrays.asList("a", "b")), new Order(-1, null, null, null), null);
        emit("kryo", ser(Types.GENERIC(Opaque.class)), false, new Opaque(3));
        emit("bigint", ser(Types.BIG_INT), true, new BigInteger("123456789012345678901234567890"), BigInteger.valueOf(-255), BigInteger.ZERO);
        emit("bigdec", ser(Types.BIG_DEC), false, new BigDecimal("-12.50"), new BigDecimal("1E+3"), BigDecimal.ONE);
        emit("localdatetime", ser(Types.LOCAL_DATE_TIME), false, LocalDateTime.of(2026, 12, 3, 12, 0, 1, 5), null);
        emit("instant", ser(Types.INSTANT), false, Instant.ofEpochSecond(1_764_763_200L, 123), null);
        emit("sqltimestamp", ser(Types.SQL_TIMESTAMP), false, new java.sql.Timestamp(1_764_763_200_123L), null);
        emit("longarray", ser(Types.OBJECT_ARRAY(Types.LONG)), false, (Object) new Long[] {1L, null, -3L});
        emit("intprimitivearray", ser(Types.PRIMITIVE_ARRAY(Types.INT)), false, (Object) new int[] {1, -2});
        emit("stringarray", ser(Types.OBJECT_ARRAY(Types.STRING)), false, (Object) new String[] {"a", null});
        emit("list", new ListSerializer<>(LongSerializer.INSTANCE), false, Arrays.asList(1L, 2L), new ArrayList<Long>());
        emit("map", new MapSerializer<>(IntSerializer.INSTANCE, StringSerializer.INSTANCE), false, new TreeMap<>(Map.of(1, "a", 2, "b")));
        emit("double", ser(Types.DOUBLE), true, 1.5, -0.0, Double.NaN);
        emit("boolean", ser(Types.BOOLEAN), true, true, false);
        emit("char", ser(Types.CHAR), true, 'x');

        RowType rowType = RowType.of(
                new LogicalType[] {
                    new IntType(false), new VarCharType(10), new DecimalType(20, 2), new DecimalType(10, 2),
                    new TimestampType(9), new TimestampType(3), new BigIntType(), RowType.of(new BooleanType()),
                    new ArrayType(new IntType()), new MapType(new VarCharType(), new DoubleType()), new VarBinaryType(20),
                    new DateType(), new DoubleType()
                },
                new String[] {"id", "name", "big", "small", "ts9", "ts3", "n", "nested", "arr", "m", "bin", "d", "x"});
        RowDataSerializer rowData = new RowDataSerializer(rowType);
        Map<StringData, Double> m = new LinkedHashMap<>();
        m.put(StringData.fromString("k"), 1.5);
        m.put(StringData.fromString("a longer key"), null);
        GenericRowData r1 = GenericRowData.ofKind(RowKind.UPDATE_BEFORE,
                42, StringData.fromString("short"), DecimalData.fromBigDecimal(new BigDecimal("123456789012345678.91"), 20, 2),
                DecimalData.fromBigDecimal(new BigDecimal("-12.50"), 10, 2), TimestampData.fromEpochMillis(1_764_763_200_123L, 456_789),
                TimestampData.fromEpochMillis(1_764_763_200_123L), null, GenericRowData.of(true),
                new GenericArrayData(new Integer[] {1, null, 3}), new GenericMapData(m), new byte[] {1, 2, 3},
                20_000, -0.5);
        GenericRowData r2 = GenericRowData.of(
                -1, StringData.fromString("a longer string value"), null, null, null, null, 7L, null, null, null, new byte[20], null, null);
        emit("rowdata", rowData, true, r1, r2);

        System.out.print(out);
    }
}
