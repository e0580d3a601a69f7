using System.Collections;
using System.Globalization;
using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Events;

/// <summary>
/// -EventCommand, -EventAction and their session variables against a real primary: registering it again
/// with another priority (-Force) is the cheapest real event (primary_register). Each test uses a
/// priority of its own, so every call changes the record and writes an event whatever ran before.
/// </summary>
public sealed class EventHookTests : IClassFixture<EventHookTests.RegisteredPrimary>, IDisposable
{
    private const string Register = "Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -Force -Confirm:$false -Priority $args[1]";

    private readonly RegisteredPrimary _fixture;
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-hook-tests-").FullName;

    public EventHookTests(RegisteredPrimary fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PgHaSession Session => _fixture.Session;

    private PostgresServer Primary => _fixture.Primary;

    private string Conninfo => ReplicatedServers.NodeConninfo(Primary);

    private string HookFile(string name) => Path.Combine(_directory, name);

    // Each value between | so an empty or split one shows; the path has no characters sh would mind.
    private static string WritePlaceholders(string file) => $"printf '%%s|' %n %a %e %s %t %d > {file}";

    [Fact]
    public async Task EventCommandGetsEveryPlaceholderAndTheRegistrationIsUnchanged()
    {
        string file = HookFile("command");
        var run = Session.Run(Register + " -EventCommand $args[2] -Verbose", Conninfo, 201, WritePlaceholders(file)).ThrowIfErrors();

        PSObject registration = run.Single();
        Assert.Equal("PgHa.PgHaNodeRegistration", registration.BaseObject.GetType().FullName);
        Assert.Equal("Updated", registration.Properties["Action"].Value.ToString());
        Assert.True((bool)registration.Properties["Changed"].Value);
        Assert.Empty(run.Warnings);
        Assert.Contains(run.Verbose, v => v.StartsWith("The event hook command for primary_register of node 'node1' (id 1) succeeded", StringComparison.Ordinal));

        string[] values = File.ReadAllText(file).Split('|');
        Assert.Equal(["1", "node1", "primary_register", "1"], values[..4]);
        Assert.Equal("node 'node1' (id 1) re-registered (record updated) as primary", values[5]);
        // The time of the committed row, as Get-PgHaEvent reads it back, in repmgr's format.
        var logged = (DateTimeOffset)Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event primary_register -Limit 1", Conninfo).ThrowIfErrors().Single().Properties["Timestamp"].Value;
        Assert.Equal(logged.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+00", values[4]);
        Assert.Equal("201", await Primary.QueryScalarAsync("SELECT priority FROM pgha.nodes WHERE node_id = 1", "pgha"));
    }

    [Fact]
    public async Task AFailingCommandIsAWarningWithItsExitCodeAndTheRegistrationStands()
    {
        var run = Session.Run(Register + " -EventCommand 'echo VIP move refused >&2; exit 3'", Conninfo, 202).ThrowIfErrors();

        Assert.True((bool)run.Single().Properties["Changed"].Value);
        string warning = Assert.Single(run.Warnings);
        Assert.Contains("primary_register of node 'node1' (id 1) failed with exit code 3 (output: VIP move refused)", warning, StringComparison.Ordinal);
        Assert.Equal("202", await Primary.QueryScalarAsync("SELECT priority FROM pgha.nodes WHERE node_id = 1", "pgha"));
    }

    [Fact]
    public void EventActionGetsTheEventObjectOnThePipelineThreadAndItsFailureIsAWarning()
    {
        const string script = """
            $ci = $args[0]
            $got = [System.Collections.Generic.List[object]]::new()
            $registration = Register-PgHaNode -Role Primary -Name node1 -Conninfo $ci -Force -Confirm:$false -Priority $args[1] -EventAction {
                $got.Add($_)
                $got.Add($args[0])
                # Another PgHa command inside the action, on another connection: the event is already committed.
                $got.Add((Get-PgHaEvent -Conninfo $ci -Limit 1).Id -eq $_.Id)
                'output of the action is not the command''s output'
            }
            $registration
            $got
            """;
        var run = Session.Run(script, Conninfo, 203).ThrowIfErrors();

        Assert.Equal(4, run.Output.Count);
        Assert.Equal(true, run.Output[3].BaseObject);
        Assert.Equal("PgHa.PgHaNodeRegistration", run.Output[0].BaseObject.GetType().FullName);
        // The type Get-PgHaEvent outputs (loaded in PgHa's own load context, so compared by name).
        object asDollarUnder = run.Output[1].BaseObject, asArgument = run.Output[2].BaseObject;
        Assert.Equal("PgHa.PgHaEvent", asDollarUnder.GetType().FullName);
        Assert.Same(asDollarUnder, asArgument);
        PSObject e = run.Output[1];
        Assert.Equal("primary_register", e.Properties["Event"].Value);
        Assert.Equal(1, e.Properties["NodeId"].Value);
        Assert.Equal(true, e.Properties["Successful"].Value);
        Assert.True((long)e.Properties["Id"].Value > 0);
        Assert.Empty(run.Warnings);

        var failed = Session.Run(Register + " -EventAction { throw 'pgbouncer is down' }", Conninfo, 204).ThrowIfErrors();
        Assert.True((bool)failed.Single().Properties["Changed"].Value);
        Assert.Contains("The event action for primary_register of node 'node1' (id 1) failed: pgbouncer is down", Assert.Single(failed.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void SessionVariablesAreTheDefaultAndAParameterOverridesThem()
    {
        string fromSession = HookFile("session"), fromAction = HookFile("action"), fromParameter = HookFile("parameter");
        var variables = new Hashtable
        {
            ["PgHaEventCommand"] = $"echo %e >> {fromSession}",
            // The hosted engine has only the Core cmdlets (no Add-Content).
            ["PgHaEventAction"] = ScriptBlock.Create($"[System.IO.File]::AppendAllText('{fromAction}', $_.Event + \"`n\")"),
        };
        try
        {
            Session.RunWith(Register, variables, Conninfo, 205).ThrowIfErrors();
            Assert.Equal(["primary_register"], File.ReadAllLines(fromSession));
            Assert.Equal(["primary_register"], File.ReadAllLines(fromAction));

            // -EventCommand replaces $PgHaEventCommand for the call ('' turns it off); $PgHaEventAction still runs.
            Session.Run(Register + " -EventCommand $args[2]", Conninfo, 206, $"echo %e >> {fromParameter}").ThrowIfErrors();
            Session.Run(Register + " -EventCommand ''", Conninfo, 207).ThrowIfErrors();
            Assert.Equal(["primary_register"], File.ReadAllLines(fromSession));
            Assert.Equal(["primary_register"], File.ReadAllLines(fromParameter));
            Assert.Equal(["primary_register", "primary_register", "primary_register"], File.ReadAllLines(fromAction));

            // No event, no hook: -WhatIf, and a registration that changes nothing.
            Session.Run(Register + " -WhatIf", Conninfo, 208).ThrowIfErrors();
            var unchanged = Session.Run(Register, Conninfo, 207).ThrowIfErrors();
            Assert.False((bool)unchanged.Single().Properties["Changed"].Value);
            Assert.Single(File.ReadAllLines(fromSession));

            var wrongType = Session.Run("$PgHaEventAction = 'not a scriptblock'; " + Register, Conninfo, 209);
            Assert.Equal(["PgHaEventHookInvalid,PgHa.Cmdlets.RegisterPgHaNodeCommand"], wrongType.ErrorIds);
        }
        finally
        {
            // Remove-Variable is not among the hosted engine's Core cmdlets.
            Session.Runspace.SessionStateProxy.PSVariable.Remove("PgHaEventCommand");
            Session.Runspace.SessionStateProxy.PSVariable.Remove("PgHaEventAction");
        }
    }

    /// <summary>One primary, registered as node1, for the whole class.</summary>
    public sealed class RegisteredPrimary : IAsyncLifetime
    {
        public PgHaSession Session { get; } = new();

        public PostgresServer Primary { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Primary = await PostgresServer.InitPrimaryAsync("hookreg");
            Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(Primary)).ThrowIfErrors();
        }

        public async Task DisposeAsync()
        {
            Session.Dispose();
            if (Primary is not null)
            {
                await Primary.DisposeAsync();
            }
        }
    }
}
