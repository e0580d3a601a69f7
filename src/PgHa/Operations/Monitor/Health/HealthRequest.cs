namespace PgHa.Operations.Monitor.Health;

/// <summary>One parsed HTTP request: method, path, and query parameters (last one wins).</summary>
internal sealed record HealthRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query);
