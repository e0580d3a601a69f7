using System.Globalization;
using PgHa.Bench.Measurement;
using PgHa.Bench.Servers;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>What one round does to a cluster whose agents run, and what it reads off the probes.</summary>
public static class FailoverRound
{
    /// <summary>Steady writes on the primary before anything is done to it (the anchor's probe starts 3 s before the kill).</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan PromotionDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan FollowDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Probing goes on this long after the follow, so a node that turned writable again late (the old primary) is seen.</summary>
    private static readonly TimeSpan Aftermath = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The primary (node1) fails under the running agents: kill -9 of its postmaster, or the whole node lost (its agent
    /// and every server process killed at once, <see cref="NodeLoss"/>); the writer asks every node every 50 ms and the
    /// remaining standbys are asked where they stream from.
    /// </summary>
    /// <param name="restartInPlaceCounts">
    /// The old primary taking writes again also ends the outage (Patroni at its defaults restarts a crashed primary in
    /// place rather than failing over): its first write after one it refused after the fault counts (its backends end
    /// with the postmaster, so a write it takes after a refusal comes from a new postmaster), and "follows" is then both
    /// standbys streaming from it again. Otherwise only a write on another node counts (PgHa, repmgrd, Patroni tuned).
    /// </param>
    public static async Task<FailoverRoundResult> FailPrimaryAsync(IFailoverCluster cluster, PrimaryFault fault, string variant, int round, CancellationToken ct,
        bool restartInPlaceCounts = false)
    {
        BenchNode old = cluster.Nodes[0];
        var standbys = cluster.Nodes.Skip(1).ToList();
        await using var writer = WriteProbe.Start(cluster.Nodes);
        await using var streams = StreamingWatch.Start(standbys);
        double probeStart = BenchClock.Now;
        await Task.Delay(WarmUp, ct);
        if (cluster.Unsteady(ct) is { } unsteady)
        {
            return Failed("before the kill, " + unsteady);
        }
        // A random wait of up to 2 s, so that the fault falls anywhere in either side's keepalive cycle: with the kill
        // right after the check above, Patroni's last keepalive was 0.85-0.96 s old in three of four rounds looked at
        // (its loop is 1 s), which flattered its whole-node figure.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 2000)), ct);
        if (writer.FirstOk(n => n == old.Name, BenchClock.Now - 1) is null)
        {
            return Failed("the primary took no write in the second before the kill");
        }

        int pid = old.Server.Pid ?? throw new InvalidOperationException($"{old.Name} has no postmaster to kill.");
        IReadOnlyList<int> node = fault == PrimaryFault.NodeLost ? NodeLoss.Processes(cluster.AgentPids(old), pid) : [pid];
        string killedAtUtc = DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        double killedAt = BenchClock.Now;
        await using LeaderKeyWatch? keyWatch = cluster.LeaderKeyInEtcd is { } key ? LeaderKeyWatch.Start(key, killedAt) : null;
        NodeLoss.Kill(node);

        WriteAttempt? first = null;
        await Polling.UntilAsync(() => (first = FirstWriteAfter()) is not null, PromotionDeadline, ct);
        if (first is null)
        {
            await writer.StopAsync();
            return Result(null, null, null, $"no {(restartInPlaceCounts ? "node" : "other node")} took a write within {PromotionDeadline.TotalSeconds:0} s of the kill");
        }
        BenchNode promoted = cluster.Nodes.Single(n => n.Name == first.Node);
        var remaining = standbys.Where(n => n != promoted).ToList();
        double? followedAt = null;
        await Polling.UntilAsync(() => (followedAt = AllFollow()) is not null, FollowDeadline, ct);
        await Task.Delay(Aftermath, ct);
        double end = BenchClock.Now;
        await writer.StopAsync();
        double newPrimaryGap = LongestGap(writer.Ticks, promoted.Name, first.At, end);
        return Result(first, followedAt is { } f ? f - first.At : null, newPrimaryGap,
            followedAt is null ? $"{string.Join(" and ", remaining.Select(r => r.Name))} did not stream from {promoted.Name} within {FollowDeadline.TotalSeconds:0} s of the promotion" : null);

        WriteAttempt? FirstWriteAfter()
        {
            WriteAttempt? other = writer.FirstOk(n => n != old.Name, killedAt);
            if (!restartInPlaceCounts)
            {
                return other;
            }
            var refused = writer.Ticks.SelectMany(t => t.Attempts).Where(a => a.Node == old.Name && !a.Ok && a.At > killedAt).MinBy(a => a.At);
            WriteAttempt? again = refused is null ? null : writer.FirstOk(n => n == old.Name, refused.At);
            return new[] { other, again }.Where(w => w is not null).MinBy(w => w!.At);
        }

        // When the last of the remaining standbys began streaming from the new primary after the fault (null until all do).
        double? AllFollow()
        {
            var seen = remaining.Select(r => streams.FirstStreaming(r, promoted, killedAt)).ToList();
            return seen.All(s => s is not null) ? seen.Max() : null;
        }

        FailoverRoundResult Result(WriteAttempt? write, double? follow, double? gap, string? failure)
        {
            var (max, detail) = MostWritable(writer.Ticks, probeStart);
            var (median, longest) = ProbeRounds(writer.Ticks, killedAt);
            return new FailoverRoundResult(variant, round, killedAtUtc, old.Name, write?.Node, write is null ? null : write.At - killedAt, follow, gap,
                max, detail, median, longest, failure) { KeyGoneAfter = keyWatch?.GoneAt - killedAt };
        }

        FailoverRoundResult Failed(string why) =>
            new(variant, round, "-", old.Name, null, null, null, null, MostWritable(writer.Ticks, probeStart).Max, string.Empty, 0, 0, why);
    }

    /// <summary>
    /// Cuts the primary's address off (nftables, every packet to it dropped, its Unix socket untouched) for
    /// <paramref name="cut"/>, heals it, and watches for <paramref name="watch"/>: no standby may take a write,
    /// the postmaster must live on, and every monitor must still be in the term and with the primary it had.
    /// </summary>
    public static async Task<BlipRoundResult> BlipAsync(PgHaFailoverCluster cluster, int round, TimeSpan cut, TimeSpan watch, CancellationToken ct)
    {
        BenchNode primary = cluster.Nodes[0];
        await using var writer = WriteProbe.Start(cluster.Nodes);
        double probeStart = BenchClock.Now;
        await Task.Delay(WarmUp, ct);
        if (cluster.Unsteady(ct) is { } unsteady)
        {
            throw new InvalidOperationException("before the cut, " + unsteady);
        }
        if (writer.FirstOk(n => n == primary.Name, BenchClock.Now - 1) is null)
        {
            throw new InvalidOperationException("the primary took no write in the second before the cut");
        }
        var before = cluster.MonitorViews(ct);
        int pid = primary.Server.Pid ?? throw new InvalidOperationException($"{primary.Name} does not run.");

        await using var nft = await NftCut.PrepareAsync(ct);
        string cutAtUtc = DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        double cutAt = BenchClock.Now;
        double inForceAt, healingAt;
        try
        {
            await nft.CutAsync(primary.Server.Address, ct);
            inForceAt = BenchClock.Now;
            await Task.Delay(cut, ct); // the blip itself: its length is what is being tested
        }
        finally
        {
            healingAt = BenchClock.Now;
            await nft.HealAsync(CancellationToken.None);
        }
        double healedAt = BenchClock.Now;
        await Task.Delay(watch, ct);
        var after = cluster.MonitorViews(ct);
        await writer.StopAsync();

        var evidence = new List<string>();
        var standbyWrites = writer.Ticks.SelectMany(t => t.Attempts).Where(a => a.Ok && a.Node != primary.Name && a.At >= cutAt).ToList();
        if (standbyWrites.Count > 0)
        {
            evidence.Add($"{string.Join(", ", standbyWrites.Select(w => w.Node).Distinct())} took writes from +{standbyWrites.Min(w => w.At) - cutAt:0.00} s");
        }
        if (!LinuxProcesses.IsAlive(pid))
        {
            evidence.Add($"{primary.Name}'s postmaster {pid} is gone");
        }
        string Terms(IReadOnlyList<MonitorView> views) => string.Join("; ", views.Select(v => v.ToString()));
        bool sameTerms = after.Count == before.Count
            && after.All(a => a.Running && before.Any(b => b.Name == a.Name && b.Term == a.Term && a.Primary == primary.Name));
        if (!sameTerms)
        {
            evidence.Add("the monitors' terms or primary changed");
        }
        double gap = LongestGap(writer.Ticks, primary.Name, cutAt - 1, healedAt + watch.TotalSeconds);
        var (max, _) = MostWritable(writer.Ticks, probeStart);
        // In force at least from inForceAt to healingAt, at most from cutAt to healedAt.
        return new BlipRoundResult(round, cutAtUtc, healingAt - inForceAt, healedAt - cutAt, watch.TotalSeconds, evidence.Count > 0,
            evidence.Count == 0 ? "none" : string.Join("; ", evidence), gap, max, Terms(before), Terms(after));
    }

    /// <summary>The most nodes that took the same round's write, and which round that was.</summary>
    private static (int Max, string Detail) MostWritable(IReadOnlyList<WriteTick> ticks, double from)
    {
        var worst = ticks.Where(t => t.StartedAt >= from).MaxBy(t => t.Writable);
        return worst is null ? (0, string.Empty)
            : (worst.Writable, $"round {worst.Seq}: {string.Join(", ", worst.Attempts.Select(a => $"{a.Node} {(a.Ok ? "ok" : "refused")}"))}");
    }

    /// <summary>The median and longest time from one probe round to the next after <paramref name="from"/>: the writer's resolution (50 ms when nothing is slow).</summary>
    private static (double Median, double Longest) ProbeRounds(IReadOnlyList<WriteTick> ticks, double from)
    {
        var after = ticks.Where(t => t.StartedAt >= from).ToList();
        if (after.Count < 2)
        {
            return (0, 0);
        }
        var spacing = after.Zip(after.Skip(1), (a, b) => b.StartedAt - a.StartedAt).Order().ToList();
        return (spacing[spacing.Count / 2], spacing[^1]);
    }

    /// <summary>The longest stretch without an acknowledged write on <paramref name="node"/> within [from, to].</summary>
    private static double LongestGap(IReadOnlyList<WriteTick> ticks, string node, double from, double to)
    {
        var oks = ticks.SelectMany(t => t.Attempts).Where(a => a.Node == node && a.Ok && a.At >= from && a.At <= to).Select(a => a.At).Order().ToList();
        if (oks.Count == 0)
        {
            return to - from;
        }
        var edges = oks.Prepend(from).Append(to).ToList();
        return edges.Zip(edges.Skip(1), (a, b) => b - a).Max();
    }
}

/// <summary>What happens to the primary in a round.</summary>
public enum PrimaryFault
{
    /// <summary>kill -9 of the postmaster; its agent lives on.</summary>
    KillPostmaster,

    /// <summary>The agent and every server process killed at once (<see cref="NodeLoss"/>).</summary>
    NodeLost,
}
