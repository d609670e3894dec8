
/// The JSON bodies of the REST catalog API (`rest-catalog-open-api.yaml`, components/schemas), with the
/// spec's key names. Fields Floe does not use are left out; unknown response fields are ignored.
enum RESTWire {
    /// `CatalogConfig`, the answer to `GET /v1/config`.
    struct CatalogConfig: Codable, Sendable, Hashable {
        var defaults: [String: String]?
        var overrides: [String: String]?
        var endpoints: [String]?
        var idempotencyKeyLifetime: String?

        enum CodingKeys: String, CodingKey {
            case defaults, overrides, endpoints, idempotencyKeyLifetime = "idempotency-key-lifetime"
        }
    }

    /// `CreateNamespaceRequest`.
    struct CreateNamespaceRequest: Codable, Sendable, Hashable {
        var namespace: [String]
        var properties: [String: String]
    }

    /// `CreateNamespaceResponse` and `GetNamespaceResponse`.
    struct NamespaceResponse: Codable, Sendable, Hashable {
        var namespace: [String]
        var properties: [String: String]?
    }

    /// `ListNamespacesResponse`.
    struct ListNamespacesResponse: Codable, Sendable, Hashable {
        var namespaces: [[String]]?
        var nextPageToken: String?

        enum CodingKeys: String, CodingKey {
            case namespaces, nextPageToken = "next-page-token"
        }
    }

    /// `TableIdentifier`.
    struct TableIdentifierBody: Codable, Sendable, Hashable {
        var namespace: [String]
        var name: String
    }

    /// `ListTablesResponse`.
    struct ListTablesResponse: Codable, Sendable, Hashable {
        var identifiers: [TableIdentifierBody]?
        var nextPageToken: String?

        enum CodingKeys: String, CodingKey {
            case identifiers, nextPageToken = "next-page-token"
        }
    }

    /// `CreateTableRequest` (never staged: Floe creates tables outright).
    struct CreateTableRequest: Codable, Sendable, Hashable {
        var name: String
        var location: String?
        var schema: Schema
        var partitionSpec: PartitionSpec?
        var writeOrder: SortOrder?
        var stageCreate: Bool?
        var properties: [String: String]

        enum CodingKeys: String, CodingKey {
            case name, location, schema, partitionSpec = "partition-spec", writeOrder = "write-order"
            case stageCreate = "stage-create", properties
        }
    }

    /// `LoadTableResult`, the answer to load and create.
    struct LoadTableResult: Codable, Sendable, Hashable {
        var metadataLocation: String?
        var metadata: TableMetadata
        var config: [String: String]?
        var storageCredentials: [StorageCredential]?

        enum CodingKeys: String, CodingKey {
            case metadataLocation = "metadata-location", metadata, config, storageCredentials = "storage-credentials"
        }
    }

    /// `CommitTableRequest`; the identifier is sent although the path names the table (pyiceberg does too).
    struct CommitTableRequest: Codable, Sendable, Hashable {
        var identifier: TableIdentifierBody?
        var requirements: [TableRequirement]
        var updates: [TableUpdate]
    }

    /// `CommitTableResponse`.
    struct CommitTableResponse: Codable, Sendable, Hashable {
        var metadataLocation: String
        var metadata: TableMetadata

        enum CodingKeys: String, CodingKey {
            case metadataLocation = "metadata-location", metadata
        }
    }

    /// `ErrorModel`.
    struct ErrorModel: Codable, Sendable, Hashable {
        var message: String?
        var type: String?
        var code: Int?
    }

    /// `IcebergErrorResponse`.
    struct ErrorResponse: Codable, Sendable, Hashable {
        var error: ErrorModel
    }

    /// `OAuthTokenResponse`.
    struct OAuthTokenResponse: Codable, Sendable, Hashable {
        var accessToken: String
        var tokenType: String?
        /// Seconds.
        var expiresIn: Int?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in"
        }
    }

    /// `OAuthError`.
    struct OAuthError: Codable, Sendable, Hashable {
        var error: String
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case error, errorDescription = "error_description"
        }
    }
}
