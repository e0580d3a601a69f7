using System.Globalization;
using System.Net;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Transport;

namespace PgHa.Operations.Sandbox;

/// <summary>
/// The etcd of New-PgHaSandbox -Etcd: three members on loopback addresses of their own (after the nodes'), each on
/// etcd's usual ports 2379 (clients) and 2380 (peers), with data and log in the sandbox folder. Each member runs in
/// a session of its own (setsid), like a postmaster, so it outlives the pwsh that made it and a Ctrl+C there; its
/// PID goes into the manifest as soon as it runs, and Remove-PgHaSandbox stops it by that PID, only while that
/// process is still an etcd with the member's data directory.
/// </summary>
internal static class SandboxEtcd
{
    public const int MemberCount = 3;
    public const int ClientPort = 2379;
    public const int PeerPort = 2380;
    public const string DebianBinary = "/usr/bin/etcd";

    private static readonly TimeSpan HealthWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(15);

    // $1: the log file; the rest: etcd and its arguments. Started in the background in a session of its own,
    // with nothing of this process's open: the PID printed is etcd's (setsid execs it, the shell does not wait).
    private const string StartScript = """
        log=$1; shift
        setsid "$@" </dev/null >>"$log" 2>&1 &
        echo $!
        """;

    // $1: pid; $2: the member's data directory; $3: the signal. Sent only while that process's command line holds
    // the data directory as an argument of its own, so a PID reused by another program is never signalled.
    private const string SignalScript = """
        [ -r "/proc/$1/cmdline" ] || exit 3
        tr '\0' '\n' < "/proc/$1/cmdline" | grep -qxF -- "$2" || exit 3
        kill -s "$3" "$1"
        """;

    /// <summary>Debian's etcd (package etcd-server), else the first etcd on PATH; null when there is none.</summary>
    public static string? FindBinary()
    {
        if (File.Exists(DebianBinary))
        {
            return DebianBinary;
        }
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, "etcd");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The members on the first addresses from <paramref name="from"/> whose ports 2379 and 2380 are free.</summary>
    public static List<SandboxManifestEtcdMember> Plan(string root, IPAddress from)
    {
        List<IPAddress> addresses = SandboxAddresses.Pick(from, [ClientPort, PeerPort], MemberCount);
        if (addresses.Count < MemberCount)
        {
            throw new PgHaException(PgHaErrorIds.SandboxNoAddress, from,
                $"Could not find {MemberCount} loopback addresses from {from} with ports {ClientPort} and {PeerPort} free for etcd. Give another -FirstAddress.");
        }
        return addresses.Select((address, i) => new SandboxManifestEtcdMember
        {
            Name = $"etcd{i + 1}",
            Address = address.ToString(),
            ClientPort = ClientPort,
            PeerPort = PeerPort,
            DataDirectory = $"{root}/etcd/etcd{i + 1}",
            LogFile = $"{root}/etcd/etcd{i + 1}.log",
        }).ToList();
    }

    /// <summary>Starts every member (the manifest is written again after each, with its PID) and waits until etcd answers a quorum read.</summary>
    public static async Task StartAsync(OperationContext context, LocalTransport host, string root, SandboxManifest manifest, string binary)
    {
        CancellationToken ct = context.CancellationToken;
        await Run(host, "mkdir", ["-p", "-m", "0700", "--", $"{root}/etcd"], ct).ConfigureAwait(false);
        string cluster = string.Join(",", manifest.Etcd.Select(m => $"{m.Name}={m.PeerUrl}"));
        string token = "pgha-sandbox-" + Guid.NewGuid().ToString("N")[..12];
        foreach (SandboxManifestEtcdMember member in manifest.Etcd)
        {
            context.Reporter.Verbose($"Starting etcd member {member.Name} at {member.ClientUrl} (data in {member.DataDirectory}).");
            CommandResult started = await host.RunAsync("sh",
                ["-c", StartScript, "pgha-etcd", member.LogFile, binary,
                 "--name", member.Name,
                 "--data-dir", member.DataDirectory,
                 "--listen-client-urls", member.ClientUrl,
                 "--advertise-client-urls", member.ClientUrl,
                 "--listen-peer-urls", member.PeerUrl,
                 "--initial-advertise-peer-urls", member.PeerUrl,
                 "--initial-cluster", cluster,
                 "--initial-cluster-token", token,
                 "--initial-cluster-state", "new"],
                new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
            if (!started.Succeeded || !int.TryParse(started.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                throw new PgHaException(PgHaErrorIds.SandboxEtcdFailed, member.Name,
                    $"etcd member {member.Name} could not be started with {binary}: {started.StandardError.Trim()}");
            }
            member.Pid = pid;
            await host.WriteFileAsync($"{root}/{SandboxManifest.FileName}", manifest.ToJson(), ct).ConfigureAwait(false);
        }
        await WaitHealthyAsync(context, host, manifest).ConfigureAwait(false);
    }

    /// <summary>Stops a member by its PID (SIGTERM, SIGKILL at the deadline) while it is still that member; nothing when it is gone.</summary>
    public static async Task StopAsync(OperationContext context, LocalTransport host, SandboxManifestEtcdMember member, CancellationToken ct)
    {
        if (member.Pid is not int pid)
        {
            return; // Never started.
        }
        string id = pid.ToString(CultureInfo.InvariantCulture);
        if (!await SignalAsync(host, id, member.DataDirectory, "TERM", ct).ConfigureAwait(false))
        {
            return; // Already stopped (or the PID belongs to another program now).
        }
        context.Reporter.Verbose($"Stopping etcd member {member.Name} (pid {id}).");
        var deadline = DateTime.UtcNow + StopWait;
        while (DateTime.UtcNow < deadline)
        {
            if (!await IsMemberAsync(host, id, member.DataDirectory, ct).ConfigureAwait(false))
            {
                return;
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        await SignalAsync(host, id, member.DataDirectory, "KILL", ct).ConfigureAwait(false);
    }

    private static async Task WaitHealthyAsync(OperationContext context, LocalTransport host, SandboxManifest manifest)
    {
        CancellationToken ct = context.CancellationToken;
        using var client = new EtcdClient(new EtcdClientSettings(manifest.Etcd.Select(m => new Uri(m.ClientUrl)).ToList()) { RequestTimeout = TimeSpan.FromSeconds(2) });
        var store = new EtcdClusterStore(client, "/pgha-sandbox", "sandbox");
        var deadline = DateTime.UtcNow + HealthWait;
        string? last = null;
        while (true)
        {
            foreach (SandboxManifestEtcdMember member in manifest.Etcd)
            {
                if (!await IsMemberAsync(host, member.Pid!.Value.ToString(CultureInfo.InvariantCulture), member.DataDirectory, ct).ConfigureAwait(false))
                {
                    throw await FailedAsync(host, member, $"etcd member {member.Name} exited while starting", ct).ConfigureAwait(false);
                }
            }
            try
            {
                // A quorum read answers once the members found each other and elected a leader.
                await store.ReadSettingsAsync(ct).ConfigureAwait(false);
                context.Reporter.Verbose($"etcd answers at {string.Join(",", manifest.Etcd.Select(m => m.ClientUrl))}.");
                return;
            }
            catch (PgHaException ex) when (ex.ErrorId == PgHaErrorIds.EtcdUnreachable)
            {
                last = ex.Message;
            }
            if (DateTime.UtcNow >= deadline)
            {
                throw await FailedAsync(host, manifest.Etcd[0], $"etcd did not answer within {HealthWait.TotalSeconds:0} s ({last})", ct).ConfigureAwait(false);
            }
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private static async Task<PgHaException> FailedAsync(LocalTransport host, SandboxManifestEtcdMember member, string what, CancellationToken ct)
    {
        string log;
        try
        {
            string text = await host.ReadFileAsync(member.LogFile, ct).ConfigureAwait(false) ?? string.Empty;
            log = string.Join("\n", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            log = "(no log)";
        }
        return new PgHaException(PgHaErrorIds.SandboxEtcdFailed, member.Name,
            $"{what}. The end of its log ({member.LogFile}):\n{log}");
    }

    private static async Task<bool> IsMemberAsync(LocalTransport host, string pid, string dataDirectory, CancellationToken ct) =>
        (await host.RunAsync("sh", ["-c", SignalScript, "pgha-etcd-check", pid, dataDirectory, "0"],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(10) }, ct).ConfigureAwait(false)).Succeeded;

    private static async Task<bool> SignalAsync(LocalTransport host, string pid, string dataDirectory, string signal, CancellationToken ct) =>
        (await host.RunAsync("sh", ["-c", SignalScript, "pgha-etcd-signal", pid, dataDirectory, signal],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(10) }, ct).ConfigureAwait(false)).Succeeded;

    private static async Task Run(LocalTransport host, string program, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        CommandResult result = await host.RunAsync(program, arguments, new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.SandboxStepFailed, program,
                $"{program} failed while making the sandbox's etcd (exit code {result.ExitCode}): {result.StandardError.Trim()}");
        }
    }
}
