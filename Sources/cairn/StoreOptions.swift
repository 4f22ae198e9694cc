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

    @Flag(name: .customLong("no-cache"), help: "Fetch every index object from the store instead of using the local cache ($XDG_CACHE_HOME/cairn or ~/.cache/cairn; CAIRN_NO_CACHE=1 turns it off too).")
    var noCache = false

    var s3: S3Options {
        var options = access.s3
        options.indexCache = !noCache
        return options
    }
}
