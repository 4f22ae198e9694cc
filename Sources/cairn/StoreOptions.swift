import ArgumentParser
import CairnSources
import CairnTools

/// Options every store command shares: how to reach S3 and how long to wait for a lock.
struct StoreOptions: ParsableArguments {
    @OptionGroup var access: S3AccessOptions

    @Option(name: .customLong("lock-wait"), help: "Seconds to wait while another process holds a conflicting lock on the store (default: 600; prune: 0).")
    var lockWaitOption: Double?

    /// How long push, pull and check wait for a prune to finish.
    var lockWait: Double { lockWaitOption ?? 600 }

    var s3: S3Options { access.s3 }
}
