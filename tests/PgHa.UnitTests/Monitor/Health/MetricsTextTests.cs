using System.Text.RegularExpressions;
using PgHa.Operations.Monitor;
using PgHa.Operations.Monitor.Health;
using Xunit;

namespace PgHa.UnitTests.Monitor.Health;

/// <summary>The Prometheus text rendering (promtool checks the real thing in the hosted tests).</summary>
public sealed class MetricsTextTests
{
    private const long Now = 50_000;

    private static readonly MonitorSnapshot Standby = new()
    {
        TakenAtMs = Now - 1500,
        NodeId = 2,
        NodeName = "node\"2\\",
        Role = MonitorRole.Standby,
        ServerRunning = true,
        InRecovery = true,
        Term = 7,
        Timeline = 3,
        StreamingFromUpstream = true,
        LagBytes = 123456,
        LagSeconds = 0.25,
        LastCheckAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500),
        LoopSeconds = 0.012,
        Failovers = 2,
        Switchovers = 5,
    };

    private static Dictionary<string, string> Samples(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'))
            .Select(l => (Key: l[..l.LastIndexOf(' ')], Value: l[(l.LastIndexOf(' ') + 1)..]))
            .ToDictionary(s => s.Key, s => s.Value);

    [Fact]
    public void Standby_EveryValue()
    {
        string text = MetricsText.Render(Standby, Now);
        var samples = Samples(text);
        const string node = "node=\"node\\\"2\\\\\"";
        Assert.Equal("1", samples[$"pgha_role{{{node},role=\"standby\"}}"]);
        Assert.Equal("0", samples[$"pgha_role{{{node},role=\"primary\"}}"]);
        Assert.Equal("0", samples[$"pgha_primary{{{node}}}"]);
        Assert.Equal("1", samples[$"pgha_replica{{{node}}}"]);
        Assert.Equal("7", samples[$"pgha_term{{{node}}}"]);
        Assert.Equal("3", samples[$"pgha_timeline{{{node}}}"]);
        Assert.Equal("123456", samples[$"pgha_replication_lag_bytes{{{node}}}"]);
        Assert.Equal("0.25", samples[$"pgha_replication_lag_seconds{{{node}}}"]);
        Assert.Equal("1700000000.5", samples[$"pgha_last_check_timestamp_seconds{{{node}}}"]);
        Assert.Equal("0", samples[$"pgha_fenced{{{node}}}"]);
        Assert.Equal("0", samples[$"pgha_paused{{{node}}}"]);
        Assert.Equal("2", samples[$"pgha_failovers_total{{{node}}}"]);
        Assert.Equal("5", samples[$"pgha_switchovers_total{{{node}}}"]);
        Assert.Equal("0.012", samples[$"pgha_monitor_loop_duration_seconds{{{node}}}"]);
        Assert.Equal("1.5", samples[$"pgha_snapshot_age_seconds{{{node}}}"]);
    }

    [Fact]
    public void EveryFamily_HasHelpAndType_BeforeItsSamples()
    {
        string[] lines = MetricsText.Render(Standby, Now).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var declared = new HashSet<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("# HELP ", StringComparison.Ordinal))
            {
                string name = lines[i].Split(' ')[2];
                Assert.Matches(new Regex($"^# TYPE {name} (gauge|counter)$"), lines[i + 1]);
                Assert.True(declared.Add(name), $"{name} declared twice");
            }
            else if (!lines[i].StartsWith('#'))
            {
                Assert.Contains(lines[i][..lines[i].IndexOf('{')], declared);
            }
        }
        Assert.All(declared.Where(n => n.EndsWith("_total", StringComparison.Ordinal)), n => Assert.Contains($"# TYPE {n} counter", lines));
    }

    [Fact]
    public void UnknownValues_AreLeftOut_NotZero()
    {
        var down = Standby with { Role = MonitorRole.Down, ServerRunning = false, InRecovery = null, Timeline = null, LagBytes = null, LagSeconds = null, Failovers = null, Switchovers = null };
        string text = MetricsText.Render(down, Now);
        Assert.DoesNotContain("pgha_replication_lag_bytes", text);
        Assert.DoesNotContain("pgha_timeline", text);
        Assert.DoesNotContain("pgha_failovers_total", text);
        Assert.Contains("pgha_server_running{node=\"node\\\"2\\\\\"} 0", text);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1E+21")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void Numbers_InvariantCulture(double value, string text)
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal(text, MetricsText.Format(value));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }
}
