/*
 * Writes a large Flink `_metadata` with Flink's OWN serializer (Checkpoints.storeCheckpointMetadata), for the
 * `_metadata` benchmark in Benchmarks/run.py: N operators x M subtasks, each subtask with a keyed state handle
 * (key-group offsets into a relative file) and a managed operator state handle (one split-distributed state).
 *
 * Usage: java -cp "<flink>/lib/*:<classes>" MetadataGenerator <dir> [operators] [subtasks] [--files]
 * --files also creates every referenced file, sparse, at its recorded size, so `validate` finds them all.
 */

import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.checkpoint.CheckpointProperties;
import org.apache.flink.runtime.checkpoint.CheckpointRetentionPolicy;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.MasterState;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyGroupRangeOffsets;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.filesystem.RelativeFileStateHandle;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

public class MetadataGenerator {
    static final int MAX_PARALLELISM = 4096;

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MetadataGenerator <dir> [operators] [subtasks] [--files]");
            System.exit(2);
        }
        File dir = new File(args[0]).getAbsoluteFile();
        int operators = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int subtasks = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        boolean files = args.length > 3 && args[3].equals("--files");
        dir.mkdirs();

        List<OperatorState> states = new ArrayList<>(operators);
        for (int o = 0; o < operators; o++) {
            // A fixed, distinct id per operator (the benchmark needs reproducible files, not hashed uids).
            OperatorState op = new OperatorState("Operator " + o, "op-" + o, new OperatorID(0xCA1A_0000_0000_0000L | o, 0x5EED_0000L + o), subtasks, MAX_PARALLELISM);
            for (int i = 0; i < subtasks; i++) {
                KeyGroupRange range = KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(MAX_PARALLELISM, subtasks, i);
                long[] offsets = new long[range.getNumberOfKeyGroups()];
                for (int k = 0; k < offsets.length; k++) offsets[k] = 100 + 64L * k;
                String keyed = "keyed-" + o + "-" + i;
                long keyedSize = 100 + 64L * offsets.length;
                KeyGroupsStateHandle keyedHandle = new KeyGroupsStateHandle(
                        new KeyGroupRangeOffsets(range, offsets), file(dir, keyed, keyedSize, files));
                String opFile = "op-" + o + "-" + i;
                OperatorStreamStateHandle opHandle = new OperatorStreamStateHandle(
                        Map.of("buffer", new OperatorStateHandle.StateMetaInfo(new long[] {24, 48}, OperatorStateHandle.Mode.SPLIT_DISTRIBUTE)),
                        file(dir, opFile, 96, files));
                op.putState(i, OperatorSubtaskState.builder().setManagedKeyedState(keyedHandle).setManagedOperatorState(opHandle).build());
            }
            states.add(op);
        }
        CheckpointMetadata md = new CheckpointMetadata(
                1L, states, Collections.<MasterState>emptyList(), CheckpointProperties.forCheckpoint(CheckpointRetentionPolicy.RETAIN_ON_CANCELLATION));
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(new File(dir, "_metadata")), 1 << 20))) {
            Checkpoints.storeCheckpointMetadata(md, out);
        }
    }

    static RelativeFileStateHandle file(File dir, String name, long size, boolean create) throws Exception {
        File f = new File(dir, name);
        if (create) {
            try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) { raf.setLength(size); }
        }
        return new RelativeFileStateHandle(new Path(f.toURI()), name, size);
    }
}
