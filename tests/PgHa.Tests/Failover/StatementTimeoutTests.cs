using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Monitor;
using PgHa.Sql;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Failover;

/// <summary>
/// The monitor's statement deadline (OperationContext.StatementTimeoutSeconds), on a real PostgreSQL 15: a statement
/// that does not answer ends after it, not after Npgsql's default 30 s; a statement that sets its own keeps it. A
/// standby's monitor once waited 31 s in a follow's probe of a primary cut off mid-statement, unable to stand.
/// </summary>
public sealed class StatementTimeoutTests
{
    private static OperationContext Context(int? statementTimeout) =>
        new(new SilentReporter(), null, 5, CancellationToken.None) { StatementTimeoutSeconds = statementTimeout };

    [Fact]
    public async Task AStatementWithoutADeadlineOfItsOwnEndsAtTheContextsDeadline()
    {
        await using var server = await PostgresServer.InitPrimaryAsync("stmt-timeout");
        var info = ConnectionInfo.Parse(server.Conninfo);

        await using (var connection = await NodeConnector.OpenAsync(Context(1), info, "postgres"))
        {
            Assert.Equal(1, connection.CommandTimeout);
            await using var sleep = new NpgsqlCommand("SELECT pg_sleep(20)", connection);
            var ex = await Assert.ThrowsAnyAsync<NpgsqlException>(() => sleep.ExecuteScalarAsync());
            Assert.IsType<TimeoutException>(ex.InnerException);
        }

        await using (var connection = await NodeConnector.OpenAsync(Context(1), info, "postgres"))
        {
            // Its own deadline wins (the CHECKPOINT before pg_rewind and the source's size before a re-clone set theirs).
            await using var own = new NpgsqlCommand("SELECT pg_sleep(1.5)", connection) { CommandTimeout = 10 };
            await own.ExecuteScalarAsync();
        }

        await using (var connection = await NodeConnector.OpenAsync(Context(null), info, "postgres"))
        {
            Assert.Equal(30, connection.CommandTimeout); // other commands keep Npgsql's default
        }
        Assert.True(NodeMonitor.StatementTimeout < TimeSpan.FromSeconds(30) && NodeMonitor.StatementTimeout >= TimeSpan.FromSeconds(2));
    }
}
