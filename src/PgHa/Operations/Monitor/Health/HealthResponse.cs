namespace PgHa.Operations.Monitor.Health;

/// <summary>What the endpoint answers: status, content type, body, and the snapshot's age (the X-PgHa-Snapshot-Age header).</summary>
internal sealed record HealthResponse(int Status, string ContentType, string Body, double? SnapshotAgeSeconds)
{
    public IReadOnlyList<(string Name, string Value)> ExtraHeaders { get; init; } = [];

    public static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };
}
