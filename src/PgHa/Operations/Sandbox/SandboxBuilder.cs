using System.Diagnostics;
using System.Globalization;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Operations.Clone;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Transport;

namespace PgHa.Operations.Sandbox;

/// <summary>
/// New-PgHaSandbox's engine: a primary made with initdb, standbys cloned from it, an optional witness,
/// all on loopback in one folder, through the same operations a user runs (start, register, clone), so
/// the sandbox exercises the real paths. Each node's address, port and socket directory live in
/// node.conf beside its data directory (included by postgresql.conf), so clones and pg_rewind, which
/// copy postgresql.conf, never carry one node's address to another.
/// </summary>
internal static class SandboxBuilder
{
    private const string Activity = "New-PgHaSandbox";
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(60);

    public static async Task<PgHaSandbox> CreateAsync(OperationContext context, SandboxRequest request)
    {
        var watch = Stopwatch.StartNew();
        CancellationToken ct = context.CancellationToken;
        string root = request.Path.TrimEnd('/');
        await using var host = new LocalTransport();

        int serverCount = 1 + request.StandbyCount + (request.Witness ? 1 : 0);
        var addresses = SandboxAddresses.Pick(request.FirstAddress, request.Port, serverCount);
        if (addresses.Count < serverCount)
        {
            throw new PgHaException(PgHaErrorIds.SandboxNoAddress, request.FirstAddress,
                $"Could not find {serverCount} loopback addresses from {request.FirstAddress} with port {request.Port} free. Give another -FirstAddress or -Port.");
        }
        var nodes = new List<SandboxManifestNode>();
        for (int i = 0; i < serverCount; i++)
        {
            bool witness = request.Witness && i == serverCount - 1;
            string name = witness ? "witness" : $"node{i + 1}";
            nodes.Add(new SandboxManifestNode
            {
                Name = name,
                Role = witness ? "witness" : i == 0 ? "primary" : "standby",
                Address = addresses[i].ToString(),
                Port = request.Port,
                DataDirectory = $"{root}/{name}/data",
            });
        }

        // The folder is written into: it must not be, hold, or lie in any running server's files.
        await DirectoryGuard.EnsureSafeAsync(context, host, root, [], null).ConfigureAwait(false);
        await CreateRootAsync(host, root, ct).ConfigureAwait(false);
        // etcd's members on the addresses after the nodes' (New-PgHaSandbox -Etcd).
        List<SandboxManifestEtcdMember> etcd = request.EtcdBinary is null ? [] : SandboxEtcd.Plan(root, Next(addresses[^1]));
        var manifest = new SandboxManifest { PgBinDir = request.PgBinDir, Nodes = nodes, Etcd = etcd };
        await host.WriteFileAsync($"{root}/{SandboxManifest.FileName}", manifest.ToJson(), ct).ConfigureAwait(false);
        // The monitors of the sandbox's nodes sign what they say to each other with it (Start-PgHaMonitor -SecretFile).
        // Made by this process, so it belongs to the user who runs the sandbox's monitors (they all run as one user).
        string secretFile = $"{root}/{SecretFileName}";
        ClusterSecret.Create(secretFile);

        try
        {
            if (request.EtcdBinary is not null)
            {
                // First: a broken etcd is found before the nodes are made.
                context.Reporter.Progress(Activity, "start etcd", 2);
                await SandboxEtcd.StartAsync(context, host, root, manifest, request.EtcdBinary).ConfigureAwait(false);
            }
            var primary = nodes[0];
            context.Reporter.Progress(Activity, $"initdb and start {primary.Name}", 5);
            await InitServerAsync(context, host, request, primary).ConfigureAwait(false);
            await RegisterAsync(context, primary, PgHaRole.Primary, null).ConfigureAwait(false);

            var standbys = nodes.Where(n => n.Role == "standby").ToList();
            for (int i = 0; i < standbys.Count; i++)
            {
                context.Reporter.Progress(Activity, $"clone, start and register {standbys[i].Name}", 20 + 60 * i / Math.Max(1, standbys.Count));
                await CloneAsync(context, host, request, primary, standbys[i]).ConfigureAwait(false);
            }

            if (nodes.FirstOrDefault(n => n.Role == "witness") is SandboxManifestNode witness)
            {
                context.Reporter.Progress(Activity, "initdb, start and register the witness", 85);
                await InitServerAsync(context, host, request, witness).ConfigureAwait(false);
                await RegisterAsync(context, witness, PgHaRole.Witness, ConnectionInfo.Parse(ConninfoOf(primary))).ConfigureAwait(false);
            }

            if (etcd.Count > 0)
            {
                // No monitor has run on this new cluster, so the backend is set without the pause Set-PgHaConsensus asks for.
                context.Reporter.Progress(Activity, "record etcd as the consensus backend", 95);
                await ConsensusChange.SetAsync(context, [ConnectionInfo.Parse(ConninfoOf(primary))],
                    EtcdConsensus.Record(etcd.Select(m => m.ClientUrl), null, null, null, null), EtcdAccess.None, requirePaused: false).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Whatever went wrong (Ctrl+C included), a half-made sandbox must not leave servers running;
            // the exception goes on unchanged.
            context.Reporter.Verbose($"Creating the sandbox failed ({ex.Message}); removing what was made.");
            OperationContext cleanup = context.WithCancellation(CancellationToken.None);
            await SandboxRemover.RemoveAsync(cleanup, root, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        context.Reporter.Progress(Activity, "ready", 100);
        return new PgHaSandbox
        {
            Path = root,
            Conninfo = ConninfoOf(nodes[0]),
            Primary = nodes[0].Name,
            SecretFile = secretFile,
            Nodes = nodes.Select(n => new PgHaSandboxNode
            {
                Name = n.Name,
                Role = Enum.Parse<PgHaRole>(n.Role, ignoreCase: true),
                Address = n.Address,
                Port = n.Port,
                Conninfo = ConninfoOf(n),
                DataDirectory = n.DataDirectory,
                LogFile = LogFileOf(n),
            }).ToArray(),
            EtcdEndpoints = etcd.Select(m => m.ClientUrl).ToArray(),
            Duration = watch.Elapsed,
        };
    }

    private static IPAddress Next(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        uint value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) + 1;
        return new IPAddress(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value });
    }

    /// <summary>The sandbox's cluster secret, in its folder (removed with it).</summary>
    public const string SecretFileName = "cluster-secret";

    public static string ConninfoOf(SandboxManifestNode node) =>
        $"host={node.Address} port={node.Port.ToString(CultureInfo.InvariantCulture)} user=postgres dbname=pgha";

    /// <summary>Where the server logs: the default of every PgHa start (clones included), beside the data directory.</summary>
    public static string LogFileOf(SandboxManifestNode node) => new NodeHost(node.Name, node.DataDirectory).DefaultLogFile;

    private static string NodeDirectory(SandboxManifestNode node) => node.DataDirectory[..node.DataDirectory.LastIndexOf('/')];

    private static async Task CreateRootAsync(LocalTransport host, string root, CancellationToken ct)
    {
        // The PostgreSQL OS user must own everything below the folder. Running as root (the usual case:
        // servers then run as that user), root makes the folder and hands it over, so the parent need
        // not be writable by that user; otherwise that user is the caller and makes it.
        CommandResult made = await host.RunAsync("mkdir", ["-p", "--", root], new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        if (!made.Succeeded && Environment.IsPrivilegedProcess)
        {
            await using var asRoot = new LocalTransport(Environment.UserName);
            made = await asRoot.RunAsync("install", ["-d", "-o", host.OsUser, "-m", "0700", "--", root], new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        }
        if (!made.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.SandboxPathInvalid, root,
                $"Could not create '{root}' as {host.OsUser}: {made.StandardError.Trim()}. Choose a -Path that user can write (the default is under /tmp).");
        }
        CommandResult list = await host.RunAsync("find", [root, "-mindepth", "1", "-maxdepth", "1", "-print", "-quit"], new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        if (!list.Succeeded)
        {
            // Typically a folder under /root: root could make it, the PostgreSQL OS user cannot reach it.
            if (Environment.IsPrivilegedProcess)
            {
                await using var asRoot = new LocalTransport(Environment.UserName);
                await asRoot.RunAsync("rmdir", ["--", root], new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
            }
            throw new PgHaException(PgHaErrorIds.SandboxPathInvalid, root,
                $"{host.OsUser} cannot reach '{root}' ({list.StandardError.Trim()}). Choose a -Path whose parent folders that user may enter (the default is under /tmp).");
        }
        if (list.StandardOutput.Trim().Length > 0)
        {
            throw new PgHaException(PgHaErrorIds.SandboxPathInUse, root,
                $"'{root}' is not empty. A sandbox starts in an empty folder: choose another -Path, or remove the old sandbox with Remove-PgHaSandbox.");
        }
    }

    /// <summary>initdb with the seed's replication settings, node.conf for this node, then start.</summary>
    private static async Task InitServerAsync(OperationContext context, LocalTransport host, SandboxRequest request, SandboxManifestNode node)
    {
        CancellationToken ct = context.CancellationToken;
        string nodeDir = NodeDirectory(node);
        await RunAsync(host, "mkdir", ["-p", "--", nodeDir + "/socket"], ct).ConfigureAwait(false);
        await WriteNodeConfAsync(host, node, ct).ConfigureAwait(false);
        context.Reporter.Verbose($"initdb for {node.Name} in {node.DataDirectory}.");
        // --no-sync: a throwaway cluster need not wait for the disk.
        await RunAsync(host, request.PgBinDir + "/initdb",
            ["-D", node.DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], ct).ConfigureAwait(false);

        string conf = await host.ReadFileAsync(node.DataDirectory + "/postgresql.conf", ct).ConfigureAwait(false) ?? string.Empty;
        await host.WriteFileAsync(node.DataDirectory + "/postgresql.conf", conf + """

            # --- written by New-PgHaSandbox: the seed's replication settings ---
            wal_level = replica
            max_wal_senders = 10
            max_replication_slots = 10
            hot_standby = on
            wal_log_hints = on
            wal_keep_size = '128MB'
            # A throwaway cluster: no waiting for the disk.
            fsync = off
            # This node's address, port and socket directory, kept beside the data directory so copies of
            # this file (clones, pg_rewind) stay node-agnostic.
            include_if_exists = '../node.conf'

            """, ct).ConfigureAwait(false);
        await host.WriteFileAsync(node.DataDirectory + "/pg_hba.conf", """
            # Written by New-PgHaSandbox: loopback only, trust (a throwaway cluster).
            local   all          all                     trust
            host    all          all          127.0.0.0/8 trust
            host    replication  all          127.0.0.0/8 trust
            local   replication  all                     trust

            """, ct).ConfigureAwait(false);
        await NodeService.StartAsync(context, new NodeHost(node.Name, node.DataDirectory, request.PgBinDir), LogFileOf(node), StartWait).ConfigureAwait(false);
    }

    private static async Task WriteNodeConfAsync(LocalTransport host, SandboxManifestNode node, CancellationToken ct)
    {
        string nodeDir = NodeDirectory(node);
        await host.WriteFileAsync(nodeDir + "/node.conf", $"""
            # This node's own settings (New-PgHaSandbox).
            listen_addresses = '{node.Address}'
            port = {node.Port.ToString(CultureInfo.InvariantCulture)}
            unix_socket_directories = '{nodeDir}/socket'
            cluster_name = '{node.Name}'

            """, ct).ConfigureAwait(false);
    }

    private static async Task CloneAsync(OperationContext context, LocalTransport host, SandboxRequest request, SandboxManifestNode primary, SandboxManifestNode standby)
    {
        CancellationToken ct = context.CancellationToken;
        await RunAsync(host, "mkdir", ["-p", "--", NodeDirectory(standby) + "/socket"], ct).ConfigureAwait(false);
        await WriteNodeConfAsync(host, standby, ct).ConfigureAwait(false);
        var clone = new CloneRequest(
            new NodeHost(standby.Name, standby.DataDirectory, request.PgBinDir),
            ConnectionInfo.Parse(ConninfoOf(primary)),
            primary.Name,
            ConnectionInfo.Parse(ConninfoOf(standby)),
            ReplicationUser: null,
            FastCheckpoint: true,
            SlotName: null,
            Force: false,
            Start: true,
            Register: true,
            Location: "default",
            Priority: 100,
            Id: null,
            Wait: StartWait,
            ServerSettings: new Dictionary<string, string>(),
            MaxRate: null);
        ClonePlan plan = await StandbyClone.PlanAsync(context, clone).ConfigureAwait(false);
        if (plan.Checks.FirstOrDefault(c => c.Status == PgHaCheckStatus.Failed) is PgHaCloneCheck failed)
        {
            throw new PgHaException(failed.ErrorId!, standby.Name, failed.Message);
        }
        await StandbyClone.ApplyAsync(context, plan).ConfigureAwait(false);
    }

    private static async Task RegisterAsync(OperationContext context, SandboxManifestNode node, PgHaRole role, ConnectionInfo? primary)
    {
        var request = new RegistrationRequest(role, ConnectionInfo.Parse(ConninfoOf(node)), node.Name, null, "default", 100,
            null, node.DataDirectory, null, null, primary, false);
        RegistrationPlan plan = await NodeRegistration.PlanAsync(context, request).ConfigureAwait(false);
        await NodeRegistration.ApplyAsync(context, plan).ConfigureAwait(false);
    }

    private static async Task RunAsync(LocalTransport host, string program, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        CommandResult result = await host.RunAsync(program, arguments, new CommandOptions { Timeout = TimeSpan.FromMinutes(2) }, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.SandboxStepFailed, program,
                $"{Path.GetFileName(program)} failed while making the sandbox (exit code {result.ExitCode}): {result.StandardError.Trim()}");
        }
    }
}
