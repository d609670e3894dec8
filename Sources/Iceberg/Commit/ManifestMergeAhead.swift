import Synchronization

/// Manifest merges written ahead of the appends that need them, off the commit's path.
///
/// Past `commit.manifest.min-count-to-merge` an append rewrote about a hundred small manifests inside
/// its commit: on a busy machine every hundredth flush took 200–600 ms longer, and requests waited
/// behind the backlog that left (Benchmarks/README.md, session 17). With a `ManifestMergeAhead`, an
/// append that finds a merge ``ManifestMerger`` will ask for within ``lead`` more manifests marks the
/// table as wanting one; the owner then runs ``TableAppender/prepareMerge(in:)`` in the background
/// (Floe: at the lowest priority), which writes the merged manifests. A later append whose parent
/// snapshot still lists every input of a merged manifest swaps it in for them (only its manifest list
/// changes), and merges inline only what is still due. A merge whose inputs are gone (a compaction
/// rewrote one, another writer merged them) is deleted unused.
///
/// Until an append swaps it in, a merged manifest is in no snapshot, and a table without appends can keep
/// one ready for days. An append therefore uses a merge only while it is younger than ``maxAge`` (at most
/// ``longestMaxAge``) and its file still exists, and merges inline otherwise; orphan removal keeps every
/// merge file (``isWrittenAhead(_:)``) younger than twice ``longestMaxAge``, whatever its own age limit. So
/// a manifest list never names a deleted manifest.
public final class ManifestMergeAhead: Sendable {
    /// One merged manifest written ahead, and the manifests it replaces.
    struct Merge: Sendable {
        var inputs: Set<String>
        var manifest: ManifestFile
        /// When it was written.
        var written: ContinuousClock.Instant
    }

    private enum State {
        case wanted
        case preparing
        case ready([Merge])
    }

    /// How many manifests before a merge is due it is written ahead.
    public let lead: Int
    /// How long a merge written ahead stays usable.
    public let maxAge: Duration
    /// The longest ``maxAge``: half of how long orphan removal keeps merge files.
    public static let longestMaxAge: Duration = .seconds(3600)
    private let states = Mutex([TableIdentifier: State]())

    public init(lead: Int = 20, maxAge: Duration = longestMaxAge) {
        self.lead = max(1, lead)
        self.maxAge = min(maxAge, Self.longestMaxAge)
    }

    /// The name every merge written ahead starts with (``TableAppender/prepareMerge(in:)`` names them so).
    static let namePrefix = "merge-"

    /// Whether `location` is a manifest written ahead (by any writer of the table).
    public static func isWrittenAhead(_ location: String) -> Bool {
        location.split(separator: "/").last?.hasPrefix(namePrefix) ?? false
    }

    /// Marks `id` as wanting a merge written ahead, unless one is wanted, being written or ready.
    func want(_ id: TableIdentifier) {
        states.withLock { states in
            if states[id] == nil { states[id] = .wanted }
        }
    }

    /// Whether `id` wants a merge written ahead; if so it is now being written, and the caller runs
    /// ``TableAppender/prepareMerge(in:)`` for it.
    public func startPreparing(_ id: TableIdentifier) -> Bool {
        states.withLock { states in
            guard case .wanted = states[id] else { return false }
            states[id] = .preparing
            return true
        }
    }

    /// Records what ``TableAppender/prepareMerge(in:)`` wrote (nothing: `id` may want one again).
    func finish(_ id: TableIdentifier, merges: [Merge]) {
        states.withLock { $0[id] = merges.isEmpty ? nil : .ready(merges) }
    }

    /// The merges ready for `id`, handed over once.
    func take(_ id: TableIdentifier) -> [Merge] {
        states.withLock { states in
            guard case .ready(let merges) = states[id] else { return [] }
            states[id] = nil
            return merges
        }
    }
}
