namespace PgHa.Conninfo;

/// <summary>
/// How to open an Npgsql connection that means what a libpq conninfo means: the connection string, and the
/// TLS checks libpq makes that a connection string cannot express (applied with
/// NpgsqlConnection.SslClientAuthenticationOptionsCallback).
/// </summary>
internal sealed record NpgsqlConnectionPlan(string ConnectionString, LibpqTlsPolicy Tls);
