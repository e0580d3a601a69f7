using System.Collections;
using System.Text.RegularExpressions;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>
/// Issue 14's bad-input table: every cmdlet (23) gets the values a user or a script gets wrong (empty, blank, very
/// long, non-ASCII, quotes, ';', '$(...)', newlines, a host that does not exist, a port nothing listens on, a
/// node in the wrong role, a conninfo keyword libpq does not know, a name that differs only in case). Each
/// row must end in exactly one error record with the ErrorId of the row and a message that says what to do,
/// and change nothing: the metadata, the servers (process, role, configuration and pg_hba.conf, data directory) and the
/// scratch folder are as before, and no shell ran the text (the marker file a '$(touch ...)' or ';touch ...'
/// would make is never there). All rows run on the shared cluster of <see cref="BadNodeInputFixture"/>.
/// </summary>
[Collection(BadInputCollection.Name)]
public sealed partial class BadValueTests
{
    /// <summary>The parameter binder's own id, for a value its validation attributes refuse (with PowerShell's message).</summary>
    private const string Binder = "ParameterArgumentValidationError";

    /// <summary>A row that is not an error: the command finds nothing to do (idempotent), and changes nothing.</summary>
    private const string NoError = "(none)";

    private readonly BadNodeInputFixture _fixture;

    /// <summary>
    /// The snapshot taken after the previous row: the rows run one after another (one collection, and xunit runs
    /// a class's tests without interleaving another class's), so it is the next row's "before" and each row costs one.
    /// </summary>
    private static string? _afterPreviousRow;

    public BadValueTests(BadNodeInputFixture fixture) => _fixture = fixture;

    private string Marker => Path.Combine(_fixture.Scratch, "injected");

    /// <summary>Values for a node name (-Name, -Upstream); "case" differs from the registered node2 only in case.</summary>
    private string NameValue(string label) => label switch
    {
        "empty" => string.Empty,
        "blank" => "   ",
        "long" => new string('n', 5000),
        "non-ASCII" => "nœud2",
        "quotes" => "node2' \"x\"",
        "semicolon" => $"node2;touch {Marker}",
        "subshell" => $"$(touch {Marker})",
        "newline" => "node2\n",
        "case" => "NODE2",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };

    /// <summary>Values for a conninfo: the text libpq refuses, or one that reaches no server.</summary>
    private string ConninfoValue(string label) => label switch
    {
        "empty" => string.Empty,
        "blank" => "   ",
        "long" => "host=" + new string('h', 5000) + " dbname=pgha",
        "non-ASCII" => "host=nœud.invalid dbname=pgha",
        "quotes" => "host='127.0.0.1 dbname=pgha",
        "semicolon" => $"host=127.0.0.1;touch{Marker} dbname=pgha",
        "subshell" => $"host=$(touch{Marker}) dbname=pgha",
        "newline" => $"host=127.0.0.1\nport={ClosedPort} dbname=pgha",
        "nonexistent host" => "host=pgha-no-such-host.invalid dbname=pgha",
        "wrong port" => $"host=127.0.0.1 port={ClosedPort} dbname=pgha",
        "unknown keyword" => _fixture.Node1 + " colour=blue",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };

    /// <summary>Values for a path that names nothing there (a data directory, a file, a sandbox folder).</summary>
    private string PathValue(string label) => label switch
    {
        "empty" => string.Empty,
        "blank" => "   ",
        "long" => "/tmp/" + new string('p', 5000),
        "non-ASCII" => Path.Combine(_fixture.Scratch, "nœud", "data"),
        "quotes" => Path.Combine(_fixture.Scratch, "it's \"here\""),
        "semicolon" => Path.Combine(_fixture.Scratch, $"x;touch {Marker}"),
        "subshell" => Path.Combine(_fixture.Scratch, $"$(touch {Marker})"),
        "newline" => Path.Combine(_fixture.Scratch, "a\nb"),
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };

    /// <summary>Values for an SSH host: names that resolve to nothing, and text a shell would run.</summary>
    private string HostValue(string label) => label switch
    {
        "blank" => "   ",
        "long" => new string('h', 300),
        "non-ASCII" => "nœud.invalid",
        "semicolon" => $"pg1;touch {Marker}",
        "subshell" => $"$(touch {Marker})",
        "nonexistent host" => "pgha-no-such-host.invalid",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };

    private static readonly string[] HostLabels = ["blank", "long", "non-ASCII", "semicolon", "subshell", "nonexistent host"];

    /// <summary>
    /// Values for a new sandbox folder: the hostile but valid names lie under a file (not-a-key), so the folder
    /// cannot be made and nothing is created; they still pass the directory guard's script and mkdir as one argument.
    /// </summary>
    private string SandboxPathValue(string label) => label switch
    {
        "empty" or "blank" or "long" or "newline" => PathValue(label),
        "non-ASCII" => Path.Combine(_fixture.NotAKeyFile, "nœud"),
        "quotes" => Path.Combine(_fixture.NotAKeyFile, "it's \"here\""),
        "semicolon" => Path.Combine(_fixture.NotAKeyFile, $"x;touch {Marker}"),
        "subshell" => Path.Combine(_fixture.NotAKeyFile, $"$(touch {Marker})"),
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };

    private static int? _closedPort;

    private static int ClosedPort => _closedPort ??= LoopbackAddresses.FreePort("127.0.0.1");

    private static readonly string[] NameLabels = ["empty", "blank", "long", "non-ASCII", "quotes", "semicolon", "subshell", "newline", "case"];

    private static readonly string[] ConninfoLabels = ["empty", "blank", "long", "non-ASCII", "quotes", "semicolon", "subshell", "newline", "nonexistent host", "wrong port", "unknown keyword"];

    private static readonly string[] PathLabels = ["empty", "blank", "long", "non-ASCII", "quotes", "semicolon", "subshell", "newline"];

    /// <summary>
    /// The table: a command with the bad value as $v, the kind and label of the value, and the ErrorId it must
    /// give. In commands, $c1 and $c2 are node1's and node2's conninfos, $d1 node1's data directory, $s the scratch folder.
    /// </summary>
    public static TheoryData<string, string, string, string> Cases()
    {
        var rows = new TheoryData<string, string, string, string>();

        void Names(string command, string notFound = "PgHaNodeNotFound", string empty = Binder, string blank = "PgHaNodeNotFound")
        {
            foreach (string label in NameLabels)
            {
                rows.Add(command, "name", label, label switch { "empty" => empty, "blank" => blank, _ => notFound });
            }
        }

        void Conninfos(string command, bool unreachableToo = true, string unreachable = "PgHaNodeUnreachable")
        {
            foreach (string label in ConninfoLabels.Where(l => unreachableToo || l is "empty" or "blank" or "quotes" or "unknown keyword"))
            {
                rows.Add(command, "conninfo", label, label switch
                {
                    "empty" => Binder,
                    "blank" or "quotes" or "unknown keyword" => "PgHaConninfoInvalid",
                    _ => unreachable,
                });
            }
        }

        // A name to register or clone under: refused by the node-name rule, or in use when it differs only in case.
        void NewNames(string command)
        {
            foreach (string label in NameLabels)
            {
                rows.Add(command, "name", label, label == "case" ? "PgHaNodeNameInUse" : "PgHaNodeNameInvalid");
            }
        }

        void Paths(string command, string missing, string empty = Binder)
        {
            foreach (string label in PathLabels)
            {
                rows.Add(command, "path", label, label == "empty" ? empty : missing);
            }
        }

        void Row(string command, string kind, string label, string errorId) => rows.Add(command, kind, label, errorId);

        // Reading the cluster.
        Conninfos("Get-PgHaCluster -Conninfo $v");
        Conninfos("Get-PgHaNode -Conninfo $v");
        // -Name takes patterns here: an empty one is a name like any other, and matches none.
        Names("Get-PgHaNode -Conninfo $c1 -Name $v", empty: "PgHaNodeNotFound");
        Conninfos("Get-PgHaEvent -Conninfo $v");
        // -NodeName filters the log: a name no event has (an unregistered node's may) finds none, which is no error.
        Names("Get-PgHaEvent -Conninfo $c1 -NodeName $v", notFound: NoError, empty: NoError, blank: NoError);
        Conninfos("Get-PgHaMonitor -Conninfo $v");
        Names("Get-PgHaMonitor -Conninfo $c1 -Name $v", empty: "PgHaNodeNotFound");
        Conninfos("Test-PgHaCluster -Conninfo $v");
        Row("Test-PgHaCluster -Conninfo $c1 -LagWarning 60 -LagCritical 10", "threshold", "warning above critical", "PgHaCheckThresholdInvalid");
        Conninfos("Test-PgHaNode -Conninfo $v");
        Names("Test-PgHaNode -Conninfo $c1 -Name $v", empty: "PgHaNodeNotFound");
        Paths("Import-PgHaConfig -Path $v", "PgHaConfigNotFound");

        // Registering and unregistering.
        Conninfos("Register-PgHaNode -Role Standby -Name node2 -Conninfo $v -Force -Confirm:$false");
        NewNames("Register-PgHaNode -Role Standby -Name $v -Conninfo $c2 -Confirm:$false");
        Row("Register-PgHaNode -Role Primary -Name node2 -Conninfo $c2 -Force -Confirm:$false", "role", "standby as primary", "PgHaRoleMismatch");
        Row("Register-PgHaNode -Role Standby -Name node1 -Conninfo $c1 -Force -Confirm:$false", "role", "primary as standby", "PgHaRoleMismatch");
        Row("Register-PgHaNode -Role Witness -Name node9 -Conninfo $c2 -PrimaryConninfo $c1 -Confirm:$false", "role", "standby as witness", "PgHaRoleMismatch");
        Row("Register-PgHaNode -Role Witness -Name node9 -Conninfo $c1 -PrimaryConninfo $c1 -Confirm:$false", "role", "primary as witness", "PgHaWitnessInCluster");
        Row("Register-PgHaNode -Role Bogus -Name node2 -Conninfo $c2 -Confirm:$false", "role", "no such role", "CannotConvertArgumentNoMessage");
        Row("Register-PgHaNode -Role Standby -Name node2 -Conninfo $c2 -Upstream NODE1 -Force -Confirm:$false", "name", "case", "PgHaUpstreamNotRegistered");
        Paths("Register-PgHaNode -Role Standby -Name node2 -Conninfo $c2 -DataDirectory $v -Force -Confirm:$false", "PgHaDataDirectoryNotFound", empty: "PgHaDataDirectoryNotFound");
        Conninfos("Unregister-PgHaNode -Name node2 -Conninfo $v -Force -Confirm:$false");
        Names("Unregister-PgHaNode -Name $v -Conninfo $c1 -Confirm:$false");
        Row("Unregister-PgHaNode -Name node2 -Conninfo $c1 -Confirm:$false", "role", "running standby", "PgHaNodeStillActive");

        // Role changes.
        Conninfos("Invoke-PgHaPromote -Name node2 -Conninfo $v -Confirm:$false");
        Names("Invoke-PgHaPromote -Name $v -Conninfo $c1 -Confirm:$false");
        // Asking the primary to become the primary finds the work done: no error, nothing changed (Changed is false).
        Row("Invoke-PgHaPromote -Name node1 -Conninfo $c1 -Confirm:$false", "role", "the primary", NoError);
        Conninfos("Invoke-PgHaFollow -Name node2 -Conninfo $v -Confirm:$false");
        Names("Invoke-PgHaFollow -Name $v -Conninfo $c1 -Confirm:$false");
        Names("Invoke-PgHaFollow -Name node2 -Upstream $v -Conninfo $c1 -Confirm:$false");
        Row("Invoke-PgHaFollow -Name node1 -Conninfo $c1 -Confirm:$false", "role", "the primary", "PgHaFollowNotStandby");
        Row("Invoke-PgHaFollow -Name node2 -Upstream node2 -Conninfo $c1 -Confirm:$false", "role", "itself as upstream", "PgHaFollowUpstreamInvalid");
        Conninfos("Invoke-PgHaRejoin -Name node2 -Conninfo $v -Confirm:$false");
        Names("Invoke-PgHaRejoin -Name $v -Conninfo $c1 -Confirm:$false");
        Names("Invoke-PgHaRejoin -Name node2 -Upstream $v -Conninfo $c1 -Confirm:$false");
        Row("Invoke-PgHaRejoin -Name node1 -Conninfo $c1 -Confirm:$false", "role", "the primary", "PgHaRejoinNoPrimary");
        Row("Invoke-PgHaRejoin -Name node2 -Upstream node2 -Conninfo $c1 -Confirm:$false", "role", "itself as upstream", "PgHaRejoinUpstreamInvalid");
        Conninfos("Invoke-PgHaSwitchover -Name node2 -Conninfo $v -Confirm:$false");
        Names("Invoke-PgHaSwitchover -Name $v -Conninfo $c1 -Confirm:$false");
        Row("Invoke-PgHaSwitchover -Name node1 -Conninfo $c1 -Confirm:$false", "role", "the primary", NoError);

        // Starting and stopping servers.
        Conninfos("Stop-PgHaNode -Name node2 -Conninfo $v -Confirm:$false");
        Names("Stop-PgHaNode -Name $v -Conninfo $c1 -Confirm:$false");
        Paths("Stop-PgHaNode -DataDirectory $v -Confirm:$false", "PgHaDataDirectoryNotFound");
        Paths("Stop-PgHaNode -DataDirectory $d1 -PgBinDir $v -Confirm:$false", "PgHaProgramNotFound");
        Row("Stop-PgHaNode -Name node1 -Conninfo $c1 -Confirm:$false", "role", "the primary, unattended", "PgHaPrimaryConfirmationRequired");
        foreach (string label in HostLabels)
        {
            Row("Stop-PgHaNode -DataDirectory $d1 -SshHost $v -SshKeyFile $k -Confirm:$false", "ssh host", label, "PgHaSshUnreachable");
        }
        Row("Stop-PgHaNode -DataDirectory $d1 -SshHost 127.0.0.1 -SshPort $p -SshKeyFile $k -Confirm:$false", "ssh host", "wrong port", "PgHaSshUnreachable");
        Row("Stop-PgHaNode -DataDirectory $d1 -SshHost 127.0.0.1 -SshKeyFile ($s + '/no-such-key') -Confirm:$false", "ssh key", "missing file", "PgHaSshAuthenticationFailed");
        Row("Stop-PgHaNode -DataDirectory $d1 -SshHost 127.0.0.1 -SshKeyFile ($s + '/not-a-key') -Confirm:$false", "ssh key", "not a key", "PgHaSshAuthenticationFailed");
        Row("Register-PgHaNode -Role Standby -Name node2 -Conninfo $c2 -SshHost $v -SshKeyFile $k -Force -Confirm:$false", "ssh host", "nonexistent host", "PgHaSshUnreachable");
        Conninfos("Start-PgHaNode -Name node2 -Conninfo $v -Confirm:$false");
        Names("Start-PgHaNode -Name $v -Conninfo $c1 -Confirm:$false");
        Paths("Start-PgHaNode -DataDirectory $v -Confirm:$false", "PgHaDataDirectoryNotFound");
        Conninfos("Restart-PgHaNode -Name node2 -Conninfo $v -Confirm:$false");
        Names("Restart-PgHaNode -Name $v -Conninfo $c1 -Confirm:$false");
        Paths("Restart-PgHaNode -DataDirectory $v -Confirm:$false", "PgHaDataDirectoryNotFound");

        // Cloning.
        Conninfos("New-PgHaStandby -SourceConninfo $v -Name node3 -DataDirectory ($s + '/node3') -Confirm:$false", unreachable: "PgHaCloneSourceUnreachable");
        NewNames("New-PgHaStandby -SourceConninfo $c1 -Name $v -DataDirectory ($s + '/node3') -Confirm:$false");
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory '   ' -Confirm:$false", "path", "blank", "PgHaDirectoryPathInvalid");
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory ($s + \"/a`nb\") -Confirm:$false", "path", "newline", "PgHaDirectoryPathInvalid");
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory ('/tmp/' + 'p' * 5000) -Confirm:$false", "path", "long", "PgHaDirectoryPathInvalid");
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory $d1 -Force -Confirm:$false", "path", "the primary's", "PgHaDirectoryOfPrimary");
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory ($s + '/node3') -Conninfo 'host=127.0.0.1 colour=blue' -Start -Confirm:$false", "conninfo", "unknown keyword", "PgHaConninfoInvalid");
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory ($s + '/node3') -MaxRate 5k -Confirm:$false", "rate", "below 32k", "PgHaMaxRateInvalid");
        foreach (string label in HostLabels)
        {
            Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory ($s + '/node3') -SshHost $v -SshKeyFile $k -Confirm:$false", "ssh host", label, "PgHaSshUnreachable");
        }
        Row("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory ($s + '/node3') -SshHost 127.0.0.1 -SshPort $p -SshKeyFile $k -Confirm:$false", "ssh host", "wrong port", "PgHaSshUnreachable");

        // Monitors.
        Conninfos("Suspend-PgHaMonitor -Conninfo $v -Confirm:$false");
        Paths("Suspend-PgHaMonitor -Conninfo $c1 -SecretFile $v -Confirm:$false", "PgHaClusterSecretMissing");
        Conninfos("Resume-PgHaMonitor -Conninfo $v -Confirm:$false");
        // A monitor that cannot reach the metadata yet waits for it (30 s, while nodes boot): only unparsable text here.
        Conninfos("Start-PgHaMonitor -Name node1 -Conninfo $v", unreachableToo: false);
        // Only a name that could be registered can have a monitor: the rule is checked before anything listens.
        foreach (string label in NameLabels)
        {
            Row("Start-PgHaMonitor -Name $v -Conninfo $c1", "name", label, label switch { "empty" => Binder, "case" => "PgHaNodeNotFound", _ => "PgHaNodeNameInvalid" });
        }
        Row("Start-PgHaMonitor -Name node1 -Conninfo $c1 -SecretFile '   '", "path", "blank secret file", "PgHaClusterSecretMissing");
        Row("Start-PgHaMonitor -Name node1 -Conninfo $c1 -HttpAddress 'localhost;touch x'", "address", "not an IP", "PgHaMonitorHttpAddressInvalid");
        Row("Start-PgHaMonitor -Name node1 -Conninfo $c1 -LocalConninfo 'host=127.0.0.1 colour=blue'", "conninfo", "unknown keyword", "PgHaConninfoInvalid");

        // The consensus (only while the monitors are paused; here they are not).
        Conninfos("Set-PgHaConsensus -Conninfo $v -Backend BuiltIn -Confirm:$false");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend BuiltIn -Confirm:$false", "role", "monitors not paused", "PgHaConsensusNotPaused");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend Bogus -Confirm:$false", "backend", "no such backend", "CannotConvertArgumentNoMessage");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend Etcd -Confirm:$false", "backend", "etcd without endpoints", "PgHaConsensusInvalid");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend BuiltIn -EtcdEndpoint http://127.0.0.1:2379 -Confirm:$false", "backend", "etcd settings for the built-in", "PgHaConsensusInvalid");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend Etcd -EtcdEndpoint '   ' -Confirm:$false", "endpoint", "blank", "PgHaEtcdInvalidSettings");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend Etcd -EtcdEndpoint 'http://127.0.0.1:2379;touch x' -Confirm:$false", "endpoint", "semicolon", "PgHaEtcdInvalidSettings");
        Row("Set-PgHaConsensus -Conninfo $c1 -Backend Etcd -EtcdEndpoint 'http://127.0.0.1:2379/v3/kv' -Confirm:$false", "endpoint", "a URL with a path", "PgHaEtcdInvalidSettings");

        // Sandboxes.
        Row("New-PgHaSandbox -Path ($s + '/sandbox') -FirstAddress 10.0.0.1", "address", "not loopback", "PgHaSandboxAddressInvalid");
        Row("New-PgHaSandbox -Path ($s + '/sandbox') -FirstAddress '127.0.0.1;touch x'", "address", "semicolon", "PgHaSandboxAddressInvalid");
        Row("New-PgHaSandbox -Path ($s + '/sandbox') -FirstAddress '   '", "address", "blank", "PgHaSandboxAddressInvalid");
        Row("New-PgHaSandbox -Path $d1", "path", "a running server's", "PgHaDirectoryIsRunningServer");
        foreach (string label in PathLabels)
        {
            Row("New-PgHaSandbox -Path $v -Nodes 1 -FirstAddress 127.0.99.1", "sandbox path", label, label switch
            {
                "empty" => Binder,
                "blank" or "long" or "newline" => "PgHaDirectoryPathInvalid",
                _ => "PgHaSandboxPathInvalid",
            });
        }
        Row("New-PgHaSandbox -Path $s", "path", "not empty", "PgHaSandboxPathInUse");
        Row("Remove-PgHaSandbox -Path $d1 -Confirm:$false", "path", "a running server's", "PgHaSandboxNotFound");
        Row("Remove-PgHaSandbox -Path $s -Confirm:$false", "path", "not a sandbox", "PgHaSandboxNotFound");
        Paths("Remove-PgHaSandbox -Path $v -Confirm:$false", NoError);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadValue_GivesOneErrorIdThatSaysWhatToDo_AndChangesNothing(string command, string kind, string label, string errorId)
    {
        string value = kind switch
        {
            "name" when NameLabels.Contains(label) => NameValue(label),
            "conninfo" when ConninfoLabels.Contains(label) => ConninfoValue(label),
            "path" when PathLabels.Contains(label) => PathValue(label),
            "ssh host" when HostLabels.Contains(label) => HostValue(label),
            "sandbox path" when PathLabels.Contains(label) => SandboxPathValue(label),
            _ => string.Empty, // the row's command holds its value
        };
        string before = _afterPreviousRow ?? await _fixture.SnapshotAsync();
        _afterPreviousRow = null;
        var variables = new Hashtable
        {
            ["v"] = value,
            ["c1"] = _fixture.Node1,
            ["c2"] = _fixture.Node2,
            ["d1"] = _fixture.Servers.Primary.DataDirectory,
            ["s"] = _fixture.Scratch,
            ["p"] = ClosedPort,
            ["k"] = _fixture.KeyFile,
        };
        RunResult result = _fixture.Session.RunWithin(TimeSpan.FromSeconds(30), command, variables);

        string shown = $"{command} [{kind}: {label}]";
        if (errorId == NoError)
        {
            Assert.True(result.Errors.Count == 0, $"{shown}: {string.Join("; ", result.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception?.Message}"))}");
        }
        else
        {
            Assert.True(result.Errors.Count == 1,
                $"{shown}: {result.Errors.Count} errors: {string.Join("; ", result.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception?.Message}"))}");
            var error = result.Errors[0];
            string message = error.Exception?.Message ?? string.Empty;
            Assert.True(error.FullyQualifiedErrorId.StartsWith(errorId + ",", StringComparison.Ordinal),
                $"{shown}: expected {errorId}, got {error.FullyQualifiedErrorId}: {message}");
            Assert.True(WhatToDo().IsMatch(message), $"{shown}: the message does not say what to do: {message}");
            Assert.True(message.Length < 1500, $"{shown}: a message of {message.Length} characters: {message[..Math.Min(300, message.Length)]}...");
            Assert.Empty(result.Output);
        }
        Assert.False(File.Exists(Marker), $"{shown}: a shell ran part of the value (the marker file exists).");
        string after = await _fixture.SnapshotAsync();
        Assert.Equal(before, after);
        _afterPreviousRow = after;
    }

    /// <summary>
    /// A directory name may hold quotes, ';', '$(...)', backquotes or non-ASCII letters: it is then a name, not
    /// bad input. The clone's dry run checks it on the target host (the directory guard's shell script, realpath,
    /// df) as one argument: every check passes, nothing is created, and no shell runs any of it.
    /// </summary>
    [Theory]
    [InlineData("quotes")]
    [InlineData("semicolon")]
    [InlineData("subshell")]
    [InlineData("non-ASCII")]
    [InlineData("backquotes")]
    public async Task AHostileButValidDirectoryName_IsCheckedAsOneArgument_NeverRun(string label)
    {
        string path = Path.Combine(label == "backquotes" ? Path.Combine(_fixture.Scratch, $"`touch {Marker}` | touch {Marker} & x") : PathValue(label), "data");
        // The parent must exist (the clone measures its free space); the names above it hold the same text.
        string top = Path.Combine(_fixture.Scratch, Path.GetRelativePath(_fixture.Scratch, path).Split('/')[0]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _afterPreviousRow = null;
        try
        {
            string before = await _fixture.SnapshotAsync();
            RunResult result = _fixture.Session.RunWith("New-PgHaStandby -SourceConninfo $c1 -Name node3 -DataDirectory $v -WhatIf",
                new Hashtable { ["c1"] = _fixture.Node1, ["v"] = path }).ThrowIfErrors();
            var target = result.Output.Single(o => (string)o.Properties["Check"].Value == "TargetDirectory");
            Assert.Equal("Passed", target.Properties["Status"].Value.ToString());
            Assert.Contains("does not exist yet", (string)target.Properties["Message"].Value, StringComparison.Ordinal);
            Assert.All(result.Output, o => Assert.NotEqual("Failed", o.Properties["Status"].Value.ToString()));
            Assert.False(File.Exists(Marker), "A shell ran part of the directory name (the marker file exists).");
            Assert.False(Directory.Exists(path));
            Assert.Equal(before, await _fixture.SnapshotAsync());
        }
        finally
        {
            Directory.Delete(top, recursive: true);
        }
    }

    /// <summary>The imperative of a next step, as PgHa's messages and PowerShell's binder write them.</summary>
    [GeneratedRegex(@"(?:(?:^|[.:;!?]\s+|\bor\s+|,\s+)(?:give|check|run|use|register|start|stop|choose|add|fix|pass|wait|write|remove|set|point|name|create|clone|promote|make|leave|look|install|copy|delete|raise|lower|drop|supply|provide|specify|unregister|correct|rename|grant|update|upgrade)\b)|\b[A-Z][a-z]+-PgHa[A-Za-z]+\b", RegexOptions.IgnoreCase)]
    private static partial Regex WhatToDo();
}
