using System.Collections;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Clone;

/// <summary>
/// The default table views of New-PgHaStandby's output (module/PgHa.Format.ps1xml), rendered through
/// Out-Default as a console shows them. The objects cannot be built in a script (init-only setters), so
/// they come from the cmdlet itself: a dry run and one clone of a tiny primary, without -Start.
/// </summary>
public sealed class CloneViewTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private PostgresServer _primary = null!;
    private PostgresServer _target = null!;

    public CloneViewTests(PgHaSession session) => _session = session;

    public async Task InitializeAsync()
    {
        _primary = await PostgresServer.InitPrimaryAsync("cloneview");
        _target = await PostgresServer.ReserveAsync("cloneview2");
    }

    public async Task DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
        if (_primary is not null)
        {
            await _primary.DisposeAsync();
        }
    }

    private RunResult NewStandby(string extra) =>
        _session.RunWith(
            $"New-PgHaStandby -SourceConninfo $source -Name $name -DataDirectory $dir -ServerSettings $settings {extra} | Out-Default",
            new Hashtable
            {
                ["source"] = _primary.Conninfo,
                ["name"] = _target.Name,
                ["dir"] = _target.DataDirectory,
                ["settings"] = _target.NodeSettings,
            });

    [Fact]
    public void DryRunChecksAndTheCloneRenderAsTables()
    {
        string checks = NewStandby("-WhatIf").ThrowIfErrors().HostText;
        string[] lines = Lines(checks);
        AssertHeader(lines, "Check", "Status", "Message");
        Assert.Contains(lines, l => l.StartsWith("SourceReachable", StringComparison.Ordinal) && l.Contains(" Passed ", StringComparison.Ordinal));
        Assert.False(Directory.Exists(_target.DataDirectory));

        string clone = NewStandby("-Confirm:$false").ThrowIfErrors().HostText;
        lines = Lines(clone);
        AssertHeader(lines, "Name", "Source", "DataDirectory", "Host", "Copied MB", "Backup(s)", "Total(s)", "Started", "Registered");
        string row = Assert.Single(lines, l => l.StartsWith(_target.Name + " ", StringComparison.Ordinal));
        Assert.Contains(" local ", row, StringComparison.Ordinal);
        Assert.Matches(@"\bFalse\s+False$", row.TrimEnd());
        Assert.True(File.Exists(Path.Combine(_target.DataDirectory, "standby.signal")));
    }

    private static string[] Lines(string text) => text.Replace("\r\n", "\n").Split('\n');

    /// <summary>One line holds every label, in this order, and the next line is the dashes under them.</summary>
    private static void AssertHeader(string[] lines, params string[] labels)
    {
        int index = Array.FindIndex(lines, l => l.TrimStart().StartsWith(labels[0] + " ", StringComparison.Ordinal) && l.Contains(labels[^1], StringComparison.Ordinal));
        Assert.True(index >= 0 && index + 1 < lines.Length, "No table header with " + string.Join(", ", labels) + " in:\n" + string.Join("\n", lines));
        int position = 0;
        foreach (string label in labels)
        {
            int found = lines[index].IndexOf(label, position, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{label}' is missing or out of order in the header '{lines[index]}'.");
            position = found + label.Length;
        }
        Assert.Matches(@"^ *-+( +-+)+ *$", lines[index + 1]);
    }
}
