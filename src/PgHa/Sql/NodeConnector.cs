using System.Net.Sockets;
using System.Security.Authentication;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;

namespace PgHa.Sql;

/// <summary>Opens connections to nodes from their libpq conninfo, with PgHa's credentials and connect timeout.</summary>
internal static class NodeConnector
{
    /// <summary>Where PgHa keeps its metadata when the conninfo names no database.</summary>
    public const string DefaultMetadataDatabase = "pgha";

    /// <summary>
    /// True when the connection was never tried (the conninfo or its TLS files cannot be used) or the server
    /// did not prove who it is: the node's state is unknown, which must never be read as "it is down".
    /// </summary>
    public static bool LeavesStateUnknown(PgHaException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.ErrorId is PgHaErrorIds.ConninfoInvalid or PgHaErrorIds.TlsConfigurationInvalid or PgHaErrorIds.ServerCertificateRejected;
    }

    public static string MetadataDatabaseOf(ConnectionInfo info) =>
        string.IsNullOrEmpty(info.DatabaseName) ? DefaultMetadataDatabase : info.DatabaseName;

    /// <summary>
    /// Opens a connection; <paramref name="database"/> overrides the conninfo's dbname. Failures become
    /// PgHaException with ErrorId PgHaNodeUnreachable / PgHaAuthenticationFailed / PgHaDatabaseMissing /
    /// PgHaServerCertificateRejected; a conninfo or TLS setup that cannot be used gives PgHaConninfoInvalid /
    /// PgHaTlsConfigurationInvalid before anything is sent.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(OperationContext context, ConnectionInfo info, string? database = null)
    {
        NpgsqlConnectionPlan plan;
        try
        {
            plan = NpgsqlSettings.ToNpgsqlConnectionPlan(info, context.Credential, context.ConnectTimeoutSeconds, database);
        }
        catch (ConninfoFormatException ex)
        {
            throw new PgHaException(PgHaErrorIds.ConninfoInvalid, info.ToDisplayString(),
                $"The conninfo '{info.ToDisplayString()}' cannot be used: {ex.Message} Correct it (and register the node again with -Force if it is a registered conninfo).", ex);
        }
        catch (LibpqTlsException ex)
        {
            throw new PgHaException(PgHaErrorIds.TlsConfigurationInvalid, info.ToDisplayString(),
                $"The TLS settings of '{info.ToDisplayString()}' cannot be used: {ex.Message}", ex);
        }

        try
        {
            return await OpenAsync(context, info, database, plan, plan.ConnectionString).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (plan.Tls.Mode == "prefer" && ex.InnerException is NpgsqlException { InnerException: AuthenticationException })
        {
            // libpq's sslmode=prefer tries once more without TLS when the handshake fails, whatever the reason.
            context.Reporter.Verbose($"The TLS handshake with '{info.ToDisplayString()}' failed ({plan.Tls.Rejection ?? ex.InnerException?.InnerException?.Message}); trying once more without TLS, as libpq does for sslmode=prefer.");
            var plain = new NpgsqlConnectionStringBuilder(plan.ConnectionString) { SslMode = SslMode.Disable };
            return await OpenAsync(context, info, database, plan, plain.ConnectionString).ConfigureAwait(false);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(OperationContext context, ConnectionInfo info, string? database, NpgsqlConnectionPlan plan, string connectionString)
    {
        if (context.StatementTimeoutSeconds is { } statementTimeout)
        {
            connectionString = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = statementTimeout }.ConnectionString;
        }
        var connection = new NpgsqlConnection(connectionString)
        {
            SslClientAuthenticationOptionsCallback = plan.Tls.Apply,
        };
        try
        {
            // The connect timeout bounds the attempt inside Npgsql; the token bounds it from outside too,
            // so a dead node costs one timeout however Npgsql reacts.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(context.ConnectTimeoutSeconds + 1));
            await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
            if (context.LocalCommit)
            {
                await using var local = new NpgsqlCommand("SET synchronous_commit = local", connection);
                await local.ExecuteNonQueryAsync(deadline.Token).ConfigureAwait(false);
            }
            return connection;
        }
        // .NET refuses a host name longer than 255 characters before asking DNS (ArgumentOutOfRangeException
        // "hostName"); libpq reports the same name as one it cannot translate: a connection failure.
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or OperationCanceledException or IOException
            or ArgumentOutOfRangeException { ParamName: "hostName" })
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            context.CancellationToken.ThrowIfCancellationRequested();
            throw Describe(ex, info, database, plan.Tls);
        }
    }

    private static PgHaException Describe(Exception ex, ConnectionInfo info, string? database, LibpqTlsPolicy tls)
    {
        // A 5000-character host name stays in the record's target, not in the sentence.
        string target = MessageText.Shorten(info.ToDisplayString());
        if (ex is NpgsqlException { InnerException: AuthenticationException } && tls.Rejection is { } rejection)
        {
            return new PgHaException(PgHaErrorIds.ServerCertificateRejected, target,
                $"The server at '{target}' was refused (sslmode={tls.Mode}, as libpq would): {rejection}. Give the server a certificate signed by that CA for this host name, point sslrootcert at the CA that signed it, or connect to the name the certificate holds.", ex);
        }

        if (ex is PostgresException pg)
        {
            switch (pg.SqlState)
            {
                case PostgresErrorCodes.InvalidPassword:
                case PostgresErrorCodes.InvalidAuthorizationSpecification:
                    return new PgHaException(PgHaErrorIds.AuthenticationFailed, target,
                        $"The server at '{target}' refused the login: {pg.MessageText}. Pass -Credential, or add the password to ~/.pgpass, and check pg_hba.conf.", ex);
                case PostgresErrorCodes.InvalidCatalogName:
                    return new PgHaException(PgHaErrorIds.DatabaseMissing, target,
                        $"The database '{database ?? info.DatabaseName}' does not exist on '{target}'. Register the primary first (it creates the PgHa metadata), or put the right dbname in the conninfo.", ex);
            }
            return new PgHaException(PgHaErrorIds.NodeUnreachable, target,
                $"The server at '{target}' refused the connection: {pg.MessageText}.", ex);
        }
        string reason = ex is OperationCanceledException or TimeoutException
            ? "no answer within the connect timeout"
            : MessageText.Shorten(ex.InnerException?.Message ?? ex.Message);
        return new PgHaException(PgHaErrorIds.NodeUnreachable, target,
            $"Cannot connect to '{target}': {reason}. Check that the server is running and that the host, port and pg_hba.conf let this machine in.", ex);
    }
}
