/// Names of the Iceberg table properties Floe reads or sets, as the Iceberg spec's
/// "Table properties" define them; the one place these strings are written.
public enum TableProperty {
    /// Whether commits merge small manifests (`true`/`false`).
    public static let manifestMergeEnabled = "commit.manifest-merge.enabled"
    /// Manifests a snapshot may have before they are merged.
    public static let manifestMinCountToMerge = "commit.manifest.min-count-to-merge"
    /// Target size of a merged manifest, in bytes.
    public static let manifestTargetSizeBytes = "commit.manifest.target-size-bytes"
    /// Commit retries after a conflict, and their waits.
    public static let commitNumRetries = "commit.retry.num-retries"
    public static let commitMinWaitMs = "commit.retry.min-wait-ms"
    public static let commitMaxWaitMs = "commit.retry.max-wait-ms"
    public static let commitTotalTimeoutMs = "commit.retry.total-timeout-ms"
    /// Old metadata files kept after a commit when deletion after commit is on.
    public static let metadataPreviousVersionsMax = "write.metadata.previous-versions-max"
    /// Delete metadata files beyond ``metadataPreviousVersionsMax`` after each commit.
    public static let metadataDeleteAfterCommit = "write.metadata.delete-after-commit.enabled"
    /// Where metadata files are written, when not `{location}/metadata`.
    public static let metadataPath = "write.metadata.path"
    /// Parquet compression codec of data files.
    public static let parquetCompressionCodec = "write.parquet.compression-codec"
}
