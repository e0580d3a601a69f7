using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Sql;

namespace PgHa.Operations.Roles;

/// <summary>
/// The cluster-wide role-change lock: a session advisory lock on the current primary, held from the checks
/// until the old primary is shut down (which ends the session). A second switchover meanwhile cannot take
/// it and stops with PgHaRoleChangeInProgress; once the primary is down, a second one finds no live
/// primary, so two role changes never interleave.
/// </summary>
internal sealed class RoleChangeLock : IAsyncDisposable
{
    private const long Key = 0x50_67_48_61_00_02; // "PgHa" + 2: role changes (1 is metadata changes)

    private readonly NpgsqlConnection _connection;

    private RoleChangeLock(NpgsqlConnection connection) => _connection = connection;

    public static async Task<RoleChangeLock> TakeAsync(OperationContext context, string primaryName, ConnectionInfo primary)
    {
        NpgsqlConnection connection = await NodeConnector.OpenAsync(context, primary, NodeConnector.MetadataDatabaseOf(primary)).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
        cmd.Parameters.Add(new() { Value = Key });
        if ((bool)(await cmd.ExecuteScalarAsync(context.CancellationToken).ConfigureAwait(false))!)
        {
            return new RoleChangeLock(connection);
        }
        await connection.DisposeAsync().ConfigureAwait(false);
        throw new PgHaException(PgHaErrorIds.RoleChangeInProgress, primaryName,
            $"Another role change (switchover, promote) holds the cluster's lock on {primaryName}. Wait for it to finish, then check the cluster with Get-PgHaCluster.");
    }

    public async ValueTask DisposeAsync()
    {
        // The session may be gone with the server it ran on: that released the lock too.
        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
        }
    }
}
