using System.Globalization;
using System.Text;
using PgHa.Bench.Measurement;

namespace PgHa.Bench.Failover;

/// <summary>The markdown bench/failover.sh prints and bench/README.md quotes: every round, then medians, ranges and the targets.</summary>
public sealed class FailoverReport
{
    private const double FirstWriteTarget = 5.0;
    private const double FollowTarget = 1.0;

    /// <summary>
    /// PgHa's variant and the other agent's under the same fault: (a) against repmgrd's (c), (b) against (d), at the same
    /// detection settings; with etcd, (f) and (g) against Patroni's at PgHa's settings, (r) and (s), and at its defaults, (p) and (q).
    /// </summary>
    private static readonly (string PgHa, string Other, string Fault)[] Pairs =
    [
        ("a", "c", "kill -9 of the postmaster, same detection settings"),
        ("b", "d", "whole node lost, same detection settings"),
        ("f", "r", "kill -9 of the postmaster, etcd on both sides, Patroni at PgHa's settings"),
        ("g", "s", "whole node lost, etcd on both sides, Patroni at PgHa's settings"),
        ("h", "r", "kill -9 of the postmaster, etcd on both sides, Patroni at PgHa's settings, PgHa's key kept alive at Patroni's cadence"),
        ("i", "s", "whole node lost, etcd on both sides, Patroni at PgHa's settings, PgHa's key kept alive at Patroni's cadence"),
        ("j", "r", "kill -9 of the postmaster, etcd on both sides, Patroni at PgHa's settings, PgHa riding out etcd stalls as long as Patroni's retry_timeout"),
        ("k", "s", "whole node lost, etcd on both sides, Patroni at PgHa's settings, PgHa riding out etcd stalls as long as Patroni's retry_timeout"),
        ("f", "p", "kill -9 of the postmaster, etcd on both sides, Patroni at its defaults"),
        ("g", "q", "whole node lost, etcd on both sides, Patroni at its defaults"),
    ];

    public required string Started { get; init; }
    public required string LoadAtStart { get; init; }
    public required string LoadAtEnd { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required IReadOnlyList<FailoverRoundResult> Kills { get; init; }
    public required IReadOnlyList<BlipRoundResult> Blips { get; init; }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"# failover benchmark, {Started} UTC").AppendLine();
        text.AppendLine($"2 cores shared with other work; load average (1/5/15 min) at the start {LoadAtStart}, at the end {LoadAtEnd}.").AppendLine();
        text.AppendLine("Variants:");
        foreach (var (key, label) in Labels)
        {
            text.AppendLine($"- ({key}) {label}");
        }
        text.AppendLine();

        if (Kills.Count > 0)
        {
            text.AppendLine("| Variant | Round | Load | Fault at (UTC) | New primary | Fault -> first write s | Fault -> leader key gone in etcd s | Promotion -> standby follows s | New primary's longest write gap after s | Most writable at once | Probe round ms, median / longest | Note |");
            text.AppendLine("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---|---|");
            foreach (var r in Kills.OrderBy(r => r.Variant, StringComparer.Ordinal).ThenBy(r => r.Round))
            {
                text.AppendLine($"| ({r.Variant}) | {r.Round} | {r.Load} | {r.KilledAtUtc} | {r.NewPrimary ?? "-"} | {S(r.KillToFirstWrite)} | {S(r.KeyGoneAfter)} | {S(r.PromotionToFollow)} | {S(r.NewPrimaryLongestGap)} | {r.MaxWritableAtOnce} | " +
                    string.Create(CultureInfo.InvariantCulture, $"{r.MedianProbeRound * 1000:0} / {r.LongestProbeRound * 1000:0} | {r.Failure ?? string.Empty} |"));
            }
            text.AppendLine();
        }
        if (Blips.Count > 0)
        {
            text.AppendLine("| Variant | Blip round | Load | Cut (UTC) | Cut in force s, at least | at most | Watched s | Failover | Evidence | Primary's longest write gap s | Most writable at once | Monitors after |");
            text.AppendLine("|---|---:|---:|---|---:|---:|---:|---|---|---:|---:|---|");
            foreach (var b in Blips.OrderBy(b => b.Variant, StringComparer.Ordinal).ThenBy(b => b.Round))
            {
                text.AppendLine($"| ({b.Variant}) | {b.Round} | {b.Load} | {b.CutAtUtc} | {b.CutSeconds:0.00} | {b.CutCommandsSeconds:0.00} | {b.WatchSeconds:0} | {(b.FailedOver ? "**yes**" : "no")} | {b.Evidence} | {b.PrimaryLongestWriteGap:0.00} | {b.MaxWritableAtOnce} | {b.TermsAfter} |");
            }
            text.AppendLine();
        }

        text.AppendLine("| Variant | Rounds measured | Fault -> first write s, median (min-max) | Promotion -> standby follows s, median (min-max) | Most writable at once |");
        text.AppendLine("|---|---:|---|---|---:|");
        foreach (var group in Kills.GroupBy(r => r.Variant).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"| ({group.Key}) | {group.Count(r => r.KillToFirstWrite is not null)} of {group.Count()} | {Summary(group.Select(r => r.KillToFirstWrite))} | {Summary(group.Select(r => r.PromotionToFollow))} | {group.Max(r => r.MaxWritableAtOnce)} |");
        }
        text.AppendLine();
        AppendTargets(text);
        return text.ToString();
    }

    private void AppendTargets(StringBuilder text)
    {
        text.AppendLine("| Target | Measured | Met |");
        text.AppendLine("|---|---|---|");
        foreach (var (variant, target) in new[] { ("a", "issue 5"), ("b", "issue 15") })
        {
            if (Median(variant) is { } median)
            {
                double worst = Kills.Where(r => r.Variant == variant).Max(r => r.KillToFirstWrite ?? double.PositiveInfinity);
                text.AppendLine($"| ({variant}) PgHa as shipped: first write <= {FirstWriteTarget:0} s ({target}) | median {median:0.00} s, worst {S(worst)} s | {Met(median <= FirstWriteTarget && worst <= FirstWriteTarget, median <= FirstWriteTarget)} |");
            }
        }
        foreach (var (pgha, other, fault) in Pairs)
        {
            if (Median(pgha) is { } p && Median(other) is { } r)
            {
                text.AppendLine($"| ({pgha}) faster than ({other}), {fault} | {p:0.00} s / {r:0.00} s = {p / r:0.00} (medians) | {Met(p < r)} |");
            }
        }
        foreach (var blips in Blips.GroupBy(b => b.Variant).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            int failovers = blips.Count(x => x.FailedOver);
            text.AppendLine($"| ({blips.Key}) a blip shorter than 2 s never fails over{(blips.Key == "x" ? " (bench-only -LocalConninfo)" : string.Empty)} | {failovers} failovers in {blips.Count()} blips of {blips.Min(x => x.CutSeconds):0.00}-{blips.Max(x => x.CutSeconds):0.00} s | {Met(failovers == 0)} |");
        }
        foreach (string pgha in Pairs.Select(p => p.PgHa).Distinct())
        {
            var rounds = Kills.Where(r => r.Variant == pgha).ToList();
            if (rounds.Count > 0)
            {
                double worst = rounds.Max(r => r.PromotionToFollow ?? double.PositiveInfinity);
                text.AppendLine($"| ({pgha}) remaining standby streams from the new primary <= {FollowTarget:0} s after the promotion | worst {S(worst)} s | {Met(worst <= FollowTarget)} |");
            }
        }
        int kills = Kills.Count, splitKills = Kills.Count(r => r.MaxWritableAtOnce > 1), splitBlips = Blips.Count(x => x.MaxWritableAtOnce > 1);
        text.AppendLine($"| never two writable primaries (every variant) | {splitKills + splitBlips} of {kills + Blips.Count} rounds with two or more | {Met(splitKills + splitBlips == 0)} |");
    }

    private double? Median(string variant)
    {
        var samples = Kills.Where(r => r.Variant == variant && r.KillToFirstWrite is not null).Select(r => r.KillToFirstWrite!.Value * 1000).ToList();
        return samples.Count == 0 ? null : TimingSummary.FromSamples(samples).MedianMs / 1000;
    }

    private static string Summary(IEnumerable<double?> values)
    {
        var samples = values.Where(v => v is not null).Select(v => v!.Value * 1000).ToList();
        if (samples.Count == 0)
        {
            return "-";
        }
        var summary = TimingSummary.FromSamples(samples);
        return string.Create(CultureInfo.InvariantCulture, $"{summary.MedianMs / 1000:0.00} ({summary.MinMs / 1000:0.00}-{summary.MaxMs / 1000:0.00})");
    }

    private static string S(double? seconds) =>
        seconds is not { } s ? "-" : double.IsPositiveInfinity(s) ? "none" : s.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Met(bool met, bool medianOnly = false) => met ? "yes" : medianOnly ? "median yes, **a round no**" : "**no**";
}
