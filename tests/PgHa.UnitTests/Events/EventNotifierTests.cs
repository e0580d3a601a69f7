using System.Collections.Concurrent;
using PgHa.Core;
using PgHa.Metadata;
using Xunit;

namespace PgHa.UnitTests.Events;

/// <summary>
/// Running the hook for committed events: in order, the command before the action, only for the events
/// it asks for; and every way a hook can fail is a warning, never an exception.
/// </summary>
public sealed class EventNotifierTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-event-hook-").FullName;
    private readonly RecordingReporter _reporter = new();

    private static readonly EventRecord Promote = new(41, 2, "node2", "standby_promote", true, new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), "node 'node2' promoted");
    private static readonly EventRecord Follow = new(42, 3, "node3", "standby_follow", true, new DateTimeOffset(2024, 5, 6, 7, 8, 10, TimeSpan.Zero), null);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Log => Path.Combine(_directory, "log");

    private Task NotifyAsync(EventHook? hook, IReadOnlyList<EventRecord> events, CancellationToken ct = default) =>
        EventNotifier.NotifyAsync(new OperationContext(_reporter, null, 3, ct) { EventHook = hook }, events);

    [Fact]
    public async Task CommandAndActionRunForEachEventInOrder()
    {
        var seen = new List<PgHaEvent>();
        var hook = new EventHook($"echo command %n %e %s \"%t\" >> {Log}",
            (e, _) =>
            {
                File.AppendAllText(Log, $"action {e.NodeId} {e.Event}\n");
                seen.Add(e);
                return Task.CompletedTask;
            });

        await NotifyAsync(hook, [Promote, Follow]);

        Assert.Equal(
            ["command 2 standby_promote 1 2024-05-06 07:08:09+00", "action 2 standby_promote", "command 3 standby_follow 1 2024-05-06 07:08:10+00", "action 3 standby_follow"],
            File.ReadAllLines(Log));
        Assert.Equal([41L, 42L], seen.Select(e => e.Id));
        Assert.Equal("node 'node2' promoted", seen[0].Details);
        Assert.Empty(_reporter.Warnings);
        Assert.Contains(_reporter.VerboseLines, v => v.Contains("event hook command for standby_promote of node 'node2' (id 2) succeeded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnlyTheEventsAskedForRunTheHook()
    {
        await NotifyAsync(new EventHook($"echo %e >> {Log}", null, ["standby_follow"]), [Promote, Follow]);

        Assert.Equal(["standby_follow"], File.ReadAllLines(Log));
    }

    [Fact]
    public async Task NoHookRunsNothing()
    {
        await NotifyAsync(null, [Promote]);
        await NotifyAsync(new EventHook("  ", null), [Promote]);

        Assert.Empty(_reporter.VerboseLines);
        Assert.Empty(_reporter.Warnings);
    }

    [Fact]
    public async Task AFailingCommandIsAWarningWithItsExitCodeAndOutputAndTheNextEventStillRuns()
    {
        var hook = new EventHook($"echo %e >> {Log}; echo 'VIP move refused' >&2; exit 3", null);

        await NotifyAsync(hook, [Promote, Follow]);

        Assert.Equal(2, _reporter.Warnings.Count);
        Assert.Contains("standby_promote of node 'node2' (id 2) failed with exit code 3 (output: VIP move refused)", _reporter.Warnings.First(), StringComparison.Ordinal);
        Assert.Equal(["standby_promote", "standby_follow"], File.ReadAllLines(Log));
    }

    [Fact]
    public async Task AMissingProgramIsAWarning()
    {
        await NotifyAsync(new EventHook("/nonexistent/pgha-hook %n", null), [Promote]);

        string warning = Assert.Single(_reporter.Warnings);
        Assert.Contains("exit code 127", warning, StringComparison.Ordinal);
        Assert.Contains("not found", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACommandPastItsDeadlineIsKilledWithWhatItStarted()
    {
        string pidFile = Path.Combine(_directory, "pid");
        var hook = new EventHook($"sleep 60 & echo $! > {pidFile}; wait", null, timeout: TimeSpan.FromSeconds(1));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await NotifyAsync(hook, [Promote]);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains("did not finish within 1 s and was killed", Assert.Single(_reporter.Warnings), StringComparison.Ordinal);
        int sleeper = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await GoneAsync(sleeper), $"the hook's child {sleeper} still runs");
    }

    [Fact]
    public async Task AnActionThatThrowsIsAWarningAndTheCommandStillRan()
    {
        var hook = new EventHook($"echo %e >> {Log}", (_, _) => throw new InvalidOperationException("pooler said no."));

        await NotifyAsync(hook, [Promote]);

        Assert.Equal("The event action for standby_promote of node 'node2' (id 2) failed: pooler said no. The event is recorded; only the hook failed.", Assert.Single(_reporter.Warnings));
        Assert.Equal(["standby_promote"], File.ReadAllLines(Log));
    }

    [Fact]
    public async Task AStoppedOperationRunsNoHookAndSaysSo()
    {
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();

        await NotifyAsync(new EventHook($"echo %e >> {Log}", null), [Promote, Follow], stopped.Token);

        Assert.False(File.Exists(Log));
        Assert.Equal(2, _reporter.Warnings.Count);
        Assert.All(_reporter.Warnings, w => Assert.Contains("was not run", w, StringComparison.Ordinal));
    }

    [Fact]
    public void FromConfigTakesTheCommandAndTheEventList()
    {
        Assert.Null(EventHook.FromConfig(new PgHaNodeConfig()));
        var hook = EventHook.FromConfig(new PgHaNodeConfig { EventHookCommand = "/usr/local/bin/vip %n %e", EventNotifications = ["standby_promote"] });
        Assert.NotNull(hook);
        Assert.Equal("/usr/local/bin/vip %n %e", hook.Command);
        Assert.Null(hook.Action);
        Assert.Equal(EventHook.DefaultTimeout, hook.Timeout);
        Assert.True(hook.Matches("standby_promote"));
        Assert.False(hook.Matches("standby_follow"));
        Assert.False(hook.Matches("Standby_Promote"));
        Assert.True(EventHook.FromConfig(new PgHaNodeConfig { EventHookCommand = "x" })!.Matches("anything"));
    }

    // A killed process can stay a zombie until its new parent reaps it: that counts as gone.
    private static async Task<bool> GoneAsync(int pid)
    {
        for (int i = 0; i < 50; i++)
        {
            string stat = Path.Combine("/proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat");
            if (!File.Exists(stat) || File.ReadAllText(stat).Split(')')[^1].TrimStart().StartsWith('Z'))
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }

    private sealed class RecordingReporter : IOperationReporter
    {
        private readonly ConcurrentQueue<string> _verbose = new();
        private readonly ConcurrentQueue<string> _warnings = new();

        public IReadOnlyList<string> VerboseLines => [.. _verbose];

        public IReadOnlyList<string> Warnings => [.. _warnings];

        public void Verbose(string message) => _verbose.Enqueue(message);

        public void Warning(string message) => _warnings.Enqueue(message);

        public void Progress(string activity, string status, int percentComplete)
        {
        }
    }
}
