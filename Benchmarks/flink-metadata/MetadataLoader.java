/*
 * Times Flink's own reader, Checkpoints.loadCheckpointMetadata, on one `_metadata` inside the JVM (the file read
 * into memory first, so only the parse is timed), and prints JSON: the best of `runs` parses in seconds and what
 * was read. The benchmark's peer for `cairn inspect` of the same file, next to the process-wide time of the
 * fixtures' Oracle (which also prints every handle).
 *
 * Usage: java -cp "<flink>/lib/*:<classes>" MetadataLoader <_metadata or its directory> [runs]
 */

import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.nio.file.Files;

public class MetadataLoader {
    public static void main(String[] args) throws Exception {
        File f = new File(args[0]);
        if (f.isDirectory()) f = new File(f, "_metadata");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        byte[] bytes = Files.readAllBytes(f.toPath());
        String pointer = f.getAbsoluteFile().getParentFile().toURI().toString();
        double best = Double.MAX_VALUE;
        long subtasks = 0;
        int operators = 0;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            CheckpointMetadata md;
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                md = Checkpoints.loadCheckpointMetadata(in, MetadataLoader.class.getClassLoader(), pointer);
            }
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
            operators = md.getOperatorStates().size();
            subtasks = 0;
            for (OperatorState op : md.getOperatorStates()) subtasks += op.getSubtaskStates().size();
        }
        System.out.println("{\"parseSeconds\": " + best + ", \"operators\": " + operators + ", \"subtasks\": " + subtasks + ", \"bytes\": " + bytes.length + "}");
    }
}
