import CSQLite
import Dispatch
import Synchronization
import SQLite

/// Copies the buffer's write-ahead log into the database file from its own connection and
/// thread, so that appends never wait for a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold, holding up
/// the writer (and every request waiting on it) while pages are copied and the file is synced.
/// Instead the writer's WAL hook asks this object for a `PASSIVE` checkpoint after each commit
/// that leaves ``checkpointFrames`` or more frames, which runs here while appends continue.
/// If the log still reaches ``restartFrames`` (the background never caught up with a moment
/// without writers, so the log could not start over), the writer runs a `RESTART` checkpoint
/// itself, which bounds the file.
final class WALCheckpointer: @unchecked Sendable {
    /// WAL frames (pages) after which a background checkpoint is requested: 4 MiB of 16 KiB pages.
    static let checkpointFrames: Int32 = 256
    /// WAL frames at which the writer checkpoints and restarts the log itself: 256 MiB.
    static let restartFrames: Int32 = 16_384

    private let connection: SQLiteDatabase
    private let queue = DispatchQueue(label: "floe.buffer.checkpoint", qos: .utility)
    private let state = Mutex(State())

    private struct State {
        var running = false
        var again = false
    }

    /// Opens the checkpoint connection to the database at `path` (already in WAL mode).
    init(path: String, durability: BufferConfiguration.Durability) throws {
        connection = try SQLiteDatabase(path: path)
        try connection.execute(durability == .fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        try connection.execute("PRAGMA wal_autocheckpoint=0")
    }

    /// Makes `writer` hand its checkpoints to this object (replacing SQLite's automatic ones).
    func attach(to writer: SQLiteDatabase) {
        writer.setWALHook(self) { context, handle, _, frames in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if frames >= WALCheckpointer.restartFrames {
                sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_RESTART, nil, nil)
            } else if frames >= WALCheckpointer.checkpointFrames {
                checkpointer.request()
            }
            return SQLITE_OK
        }
    }

    /// Runs a checkpoint soon; a request during a running one runs another after it.
    func request() {
        let start = state.withLock { state -> Bool in
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        if start { queue.async { self.run() } }
    }

    private func run() {
        repeat {
            // Busy (another checkpoint, or the writer's own RESTART) just means try again later.
            try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        } while state.withLock { state -> Bool in
            if state.again {
                state.again = false
                return true
            }
            state.running = false
            return false
        }
    }
}
