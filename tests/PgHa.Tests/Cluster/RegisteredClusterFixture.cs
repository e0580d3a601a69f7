using System.Management.Automation;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>
/// Three real servers (node1 primary, node2 and node3 streaming from it) registered through the cmdlets
/// in a hosted session; the registration outputs are kept for the tests to check.
/// </summary>
public sealed class RegisteredClusterFixture : IAsyncLifetime
{
    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    public IReadOnlyList<PSObject> FirstRegistrations { get; private set; } = [];

    public IReadOnlyList<PSObject> RepeatedRegistrations { get; private set; } = [];

    public string PrimaryConninfo => ReplicatedServers.NodeConninfo(Servers.Primary);

    public async Task InitializeAsync()
    {
        Servers = await ReplicatedServers.StartAsync("reg", standbyCount: 2);
        FirstRegistrations = RegisterAll().Output;
        RepeatedRegistrations = RegisterAll().Output;
    }

    private RunResult RegisterAll()
    {
        var results = new List<PSObject>();
        RunResult primary = Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(Servers.Primary)).ThrowIfErrors();
        results.AddRange(primary.Output);
        for (int i = 0; i < Servers.Standbys.Count; i++)
        {
            results.AddRange(Session.Run("Register-PgHaNode -Role Standby -Name $args[0] -Conninfo $args[1] -Location dc1 -Priority $args[2]",
                $"node{i + 2}", ReplicatedServers.NodeConninfo(Servers.Standbys[i]), 100 - i).ThrowIfErrors().Output);
        }
        return primary with { Output = results };
    }

    public async Task DisposeAsync()
    {
        Session.Dispose();
        if (Servers is not null)
        {
            await Servers.DisposeAsync();
        }
    }
}
