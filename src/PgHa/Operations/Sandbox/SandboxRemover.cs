using System.Globalization;
using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Transport;

namespace PgHa.Operations.Sandbox;

/// <summary>
/// Remove-PgHaSandbox's engine: stops every server the sandbox's manifest lists (by pg_ctl, then by the
/// postmaster's PID if it will not stop) and deletes the sandbox folder. A folder without the manifest
/// written by New-PgHaSandbox is never touched.
/// </summary>
internal static class SandboxRemover
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    /// <summary>Reads the manifest, or fails with PgHaSandboxNotFound when the folder is not a sandbox.</summary>
    public static async Task<SandboxManifest> ReadManifestAsync(INodeTransport host, string root, CancellationToken ct)
    {
        string? json = await host.ReadFileAsync($"{root}/{SandboxManifest.FileName}", ct).ConfigureAwait(false);
        SandboxManifest? manifest = json is null ? null : SandboxManifest.FromJson(json);
        if (manifest is null || manifest.CreatedBy != SandboxManifest.Creator
            || manifest.Nodes.Any(n => !n.DataDirectory.StartsWith(root + "/", StringComparison.Ordinal)))
        {
            throw new PgHaException("PgHaSandboxNotFound", ErrorCategory.ObjectNotFound, root,
                $"'{root}' is not a sandbox made by New-PgHaSandbox (no valid {SandboxManifest.FileName}); nothing was stopped or deleted.");
        }
        return manifest;
    }

    /// <summary>Returns false when the folder is already gone (removing twice changes nothing the second time).</summary>
    public static async Task<bool> RemoveAsync(OperationContext context, string root, CancellationToken ct)
    {
        root = root.TrimEnd('/');
        await using var host = new LocalTransport();
        if (!Directory.Exists(root))
        {
            context.Reporter.Verbose($"'{root}' does not exist: nothing to remove.");
            return false;
        }
        SandboxManifest manifest = await ReadManifestAsync(host, root, ct).ConfigureAwait(false);

        // Standbys and the witness first, the primary last: nothing fails over to nowhere.
        foreach (SandboxManifestNode node in Enumerable.Reverse(manifest.Nodes))
        {
            await StopAsync(context, host, manifest, node, ct).ConfigureAwait(false);
        }
        context.Reporter.Verbose($"Deleting '{root}'.");
        CommandResult removed = await host.RunAsync("rm", ["-rf", "--", root], new CommandOptions { Timeout = TimeSpan.FromMinutes(5) }, ct).ConfigureAwait(false);
        if (!removed.Succeeded && Environment.IsPrivilegedProcess)
        {
            // root made the folder in a parent the PostgreSQL OS user cannot write (see SandboxBuilder).
            await using var asRoot = new LocalTransport(Environment.UserName);
            removed = await asRoot.RunAsync("rm", ["-rf", "--", root], new CommandOptions { Timeout = TimeSpan.FromMinutes(5) }, ct).ConfigureAwait(false);
        }
        if (!removed.Succeeded)
        {
            throw new PgHaException("PgHaSandboxRemoveFailed", ErrorCategory.WriteError, root,
                $"The servers are stopped but '{root}' could not be deleted: {removed.StandardError.Trim()}");
        }
        return true;
    }

    private static async Task StopAsync(OperationContext context, LocalTransport host, SandboxManifest manifest, SandboxManifestNode node, CancellationToken ct)
    {
        if (!await host.PathExistsAsync(node.DataDirectory + "/postmaster.pid", ct).ConfigureAwait(false))
        {
            return; // Never started, or already stopped.
        }
        var nodeHost = new NodeHost(node.Name, node.DataDirectory, manifest.PgBinDir);
        try
        {
            // Immediate: the sandbox is thrown away, there is nothing to flush.
            await NodeService.StopAsync(context, nodeHost, PgHaStopMode.Immediate, StopWait).ConfigureAwait(false);
            return;
        }
        catch (PgHaException ex)
        {
            context.Reporter.Verbose($"{node.Name} did not stop through pg_ctl ({ex.Message}); killing its postmaster.");
        }
        string? pidFile = await host.ReadFileAsync(node.DataDirectory + "/postmaster.pid", ct).ConfigureAwait(false);
        if (pidFile is not null && int.TryParse(pidFile.Split('\n')[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            // Only a postmaster of this data directory: a stale pid file may name a reused PID.
            string? commandLine = await host.ReadFileAsync($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline", ct).ConfigureAwait(false);
            if (commandLine is not null && commandLine.Contains(node.DataDirectory, StringComparison.Ordinal))
            {
                await host.RunAsync("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)], new CommandOptions { Timeout = TimeSpan.FromSeconds(10) }, ct).ConfigureAwait(false);
            }
        }
    }
}
