using System.Globalization;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Transport;

namespace PgHa.Operations.Sandbox;

/// <summary>
/// Remove-PgHaSandbox's engine: stops every server the sandbox's manifest lists (by pg_ctl, then by the
/// postmaster's PID if it will not stop or its folder is already gone), then its etcd members by their PIDs,
/// and deletes the sandbox folder (etcd's data with it). A
/// folder without the manifest written by New-PgHaSandbox is never touched, nor one in which, or around
/// which, a server runs that the manifest does not list (the directory guard decides, on the host).
/// </summary>
internal static class SandboxRemover
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(15);

    // $1: pid; $2: the data directory it must run from; $3: the signal. Sent only while the process's
    // working directory is still that data directory (PostgreSQL sets it so; "(deleted)" once the folder
    // is gone), so a pid reused by another program is never signalled.
    private const string SignalScript = """
        d=$(readlink -- "/proc/$1/cwd" 2>/dev/null) || exit 3
        [ "$d" = "$2" ] || [ "$d" = "$2 (deleted)" ] || exit 3
        kill -s "$3" "$1"
        """;

    /// <summary>Reads the manifest, or fails with PgHaSandboxNotFound when the folder is not a sandbox.</summary>
    public static async Task<SandboxManifest> ReadManifestAsync(INodeTransport host, string root, CancellationToken ct)
    {
        string? json = await host.ReadFileAsync($"{root}/{SandboxManifest.FileName}", ct).ConfigureAwait(false);
        SandboxManifest? manifest = json is null ? null : SandboxManifest.FromJson(json);
        if (manifest is null || manifest.CreatedBy != SandboxManifest.Creator)
        {
            throw new PgHaException(PgHaErrorIds.SandboxNotFound, root,
                $"{MessageText.Quote(root)} is not a sandbox made by New-PgHaSandbox (no valid {SandboxManifest.FileName}); nothing was stopped or deleted. Give the Path that New-PgHaSandbox returned.");
        }
        if (manifest.Etcd.FirstOrDefault(m => !IsBelow(m.DataDirectory, root) || !IsBelow(m.LogFile, root)) is { } outsideEtcd)
        {
            throw new PgHaException(PgHaErrorIds.SandboxNotFound, root,
                $"'{root}' is not a sandbox made by New-PgHaSandbox: its {SandboxManifest.FileName} names the etcd data directory '{outsideEtcd.DataDirectory}' for {outsideEtcd.Name}, " +
                "which is not below the folder (or goes through '.' or '..'); nothing was stopped or deleted.");
        }
        if (manifest.Nodes.FirstOrDefault(n => !IsBelow(n.DataDirectory, root)) is { } outside)
        {
            throw new PgHaException(PgHaErrorIds.SandboxNotFound, root,
                $"'{root}' is not a sandbox made by New-PgHaSandbox: its {SandboxManifest.FileName} names the data directory '{outside.DataDirectory}' for {outside.Name}, " +
                "which is not below the folder (or goes through '.' or '..'); nothing was stopped or deleted. Stop its servers with Stop-PgHaNode -DataDirectory and delete the folder yourself.");
        }
        return manifest;
    }

    /// <summary>A manifest's data directory: below the folder, written plainly (no "." or ".." segments, no doubled slashes).</summary>
    public static bool IsBelow(string dataDirectory, string root) =>
        !PosixPath.HasDotSegments(dataDirectory)
        && PosixPath.Clean(dataDirectory) == dataDirectory
        && dataDirectory.StartsWith(PosixPath.Clean(root) + "/", StringComparison.Ordinal);

    /// <summary>Returns false when the folder is already gone (removing twice changes nothing the second time).</summary>
    public static async Task<bool> RemoveAsync(OperationContext context, string root, CancellationToken ct)
    {
        root = PosixPath.Clean(root);
        await using var host = new LocalTransport();
        if (!Directory.Exists(root))
        {
            context.Reporter.Verbose($"'{root}' does not exist: nothing to remove.");
            return false;
        }
        SandboxManifest manifest = await ReadManifestAsync(host, root, ct).ConfigureAwait(false);
        DirectoryScan scan = await DirectoryGuard.ScanAsync(host, root, [], ct).ConfigureAwait(false);
        IReadOnlyDictionary<string, SandboxManifestNode> own = await ResolveNodesAsync(host, manifest, root, scan.ResolvedPath, ct).ConfigureAwait(false);

        // A server the manifest does not list, running in or around the folder, stops everything before anything is stopped.
        DirectoryScan foreign = scan with { Servers = scan.Servers.Where(s => !own.ContainsKey(s.DataDirectory)).ToArray() };
        if (DirectoryGuardRules.Check(foreign, root, host.Description, null) is { } refusal)
        {
            throw new PgHaException(refusal.ErrorId, root, refusal.Message + " Remove-PgHaSandbox stops only the servers its manifest lists; nothing was stopped.");
        }

        // Standbys and the witness first, the primary last: nothing fails over to nowhere.
        foreach (SandboxManifestNode node in Enumerable.Reverse(manifest.Nodes))
        {
            await StopAsync(context, host, manifest, node, ct).ConfigureAwait(false);
        }
        // What pg_ctl could not stop: a postmaster whose folder was deleted under it has no postmaster.pid left.
        foreach (HostServer server in scan.Servers.Where(s => own.ContainsKey(s.DataDirectory)))
        {
            await StopByPidAsync(context, host, own[server.DataDirectory].Name, server, ct).ConfigureAwait(false);
        }

        // etcd last: with the nodes stopped, no monitor of theirs is left to act on its going.
        foreach (SandboxManifestEtcdMember member in manifest.Etcd)
        {
            await SandboxEtcd.StopAsync(context, host, member, ct).ConfigureAwait(false);
        }

        DirectoryScan after = await DirectoryGuard.ScanAsync(host, root, [], ct).ConfigureAwait(false);
        if (DirectoryGuardRules.Check(after, root, host.Description, null) is { } stillRunning)
        {
            throw new PgHaException(stillRunning.ErrorId, root, stillRunning.Message + " The sandbox's servers could not all be stopped; the folder was not deleted.");
        }

        string target = after.ResolvedPath;
        context.Reporter.Verbose($"Deleting '{target}'.");
        CommandResult removed = await host.RunAsync("rm", ["-rf", "--", target], new CommandOptions { Timeout = TimeSpan.FromMinutes(5) }, ct).ConfigureAwait(false);
        if (!removed.Succeeded && Environment.IsPrivilegedProcess)
        {
            // root made the folder in a parent the PostgreSQL OS user cannot write (see SandboxBuilder).
            await using var asRoot = new LocalTransport(Environment.UserName);
            removed = await asRoot.RunAsync("rm", ["-rf", "--", target], new CommandOptions { Timeout = TimeSpan.FromMinutes(5) }, ct).ConfigureAwait(false);
        }
        if (!removed.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.SandboxRemoveFailed, root,
                $"The servers are stopped but '{root}' could not be deleted: {removed.StandardError.Trim()}");
        }
        return true;
    }

    /// <summary>
    /// The manifest's data directories as the host resolves them (realpath), each of which must still lie
    /// in the resolved folder: a node folder replaced by a link to another server's data must not make
    /// that server "the sandbox's own". The etcd members' data directories and log files are resolved and
    /// held to the same rule: their spelling was checked by <see cref="ReadManifestAsync"/>, where they lead
    /// is checked here.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, SandboxManifestNode>> ResolveNodesAsync(
        INodeTransport host, SandboxManifest manifest, string root, string resolvedRoot, CancellationToken ct)
    {
        var own = new Dictionary<string, SandboxManifestNode>(StringComparer.Ordinal);
        var paths = manifest.Nodes.Select(n => (Path: n.DataDirectory, What: $"the data directory '{n.DataDirectory}' of {n.Name}"))
            .Concat(manifest.Etcd.SelectMany(m => new[]
            {
                (Path: m.DataDirectory, What: $"the etcd data directory '{m.DataDirectory}' of {m.Name}"),
                (Path: m.LogFile, What: $"the etcd log file '{m.LogFile}' of {m.Name}"),
            }))
            .ToList();
        if (paths.Count == 0)
        {
            return own;
        }
        CommandResult resolved = await host.RunAsync("realpath", ["-m", "--", .. paths.Select(p => p.Path)],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        string[] lines = resolved.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (!resolved.Succeeded || lines.Length != paths.Count)
        {
            throw new PgHaException(PgHaErrorIds.DirectoryCheckFailed, root,
                $"The data directories of the sandbox '{root}' could not be resolved on {host.Description} ({resolved.StandardError.Trim()}); nothing was stopped or deleted.");
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string dir = PosixPath.Clean(lines[i]);
            if (dir == resolvedRoot || !PosixPath.IsSameOrInside(dir, resolvedRoot))
            {
                throw new PgHaException(PgHaErrorIds.SandboxNotFound, root,
                    $"'{root}' is not a sandbox PgHa can remove: {paths[i].What} leads to '{dir}', outside the folder '{resolvedRoot}' (a symbolic link?); nothing was stopped or deleted. Stop its servers with Stop-PgHaNode -DataDirectory and delete the folder yourself.");
            }
            if (i < manifest.Nodes.Count)
            {
                own[dir] = manifest.Nodes[i];
            }
        }
        return own;
    }

    private static async Task StopAsync(OperationContext context, LocalTransport host, SandboxManifest manifest, SandboxManifestNode node, CancellationToken ct)
    {
        if (!await host.PathExistsAsync(node.DataDirectory + "/postmaster.pid", ct).ConfigureAwait(false))
        {
            return; // Never started, already stopped, or its folder is gone (then stopped by pid, see RemoveAsync).
        }
        var nodeHost = new NodeHost(node.Name, node.DataDirectory, manifest.PgBinDir);
        try
        {
            // Immediate: the sandbox is thrown away, there is nothing to flush.
            await NodeService.StopAsync(context, nodeHost, PgHaStopMode.Immediate, StopWait).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            context.Reporter.Verbose($"{node.Name} did not stop through pg_ctl ({ex.Message}); its postmaster is stopped by pid.");
        }
    }

    /// <summary>
    /// SIGQUIT (what pg_ctl stop -m immediate sends, so the backends go too), then SIGKILL at the deadline,
    /// to a postmaster the scan found running from one of the sandbox's data directories, while it still does.
    /// </summary>
    private static async Task StopByPidAsync(OperationContext context, LocalTransport host, string name, HostServer server, CancellationToken ct)
    {
        string pid = server.Pid.ToString(CultureInfo.InvariantCulture);
        if (!await SignalAsync(host, pid, server.DataDirectory, "QUIT", ct).ConfigureAwait(false))
        {
            return; // Already gone (stopped by pg_ctl above).
        }
        context.Reporter.Verbose($"Stopping {name}'s postmaster (pid {pid}) by its pid{(server.Kind == HostServerKind.Deleted ? ": its data directory was deleted while it ran" : string.Empty)}.");
        var deadline = DateTime.UtcNow + KillWait;
        while (DateTime.UtcNow < deadline)
        {
            if (!await host.PathExistsAsync($"/proc/{pid}/cwd", ct).ConfigureAwait(false))
            {
                return;
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        await SignalAsync(host, pid, server.DataDirectory, "KILL", ct).ConfigureAwait(false);
    }

    private static async Task<bool> SignalAsync(LocalTransport host, string pid, string dataDirectory, string signal, CancellationToken ct)
    {
        CommandResult sent = await host.RunAsync("sh", ["-c", SignalScript, "pgha-signal", pid, dataDirectory, signal],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(10) }, ct).ConfigureAwait(false);
        return sent.Succeeded;
    }
}
