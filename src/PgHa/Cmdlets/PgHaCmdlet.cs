using System.Management.Automation;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Operations;
using PgHa.Operations.Monitor;

namespace PgHa.Cmdlets;

/// <summary>
/// Base of every PgHa cmdlet that talks to servers: database credential and connect timeout, a
/// cancellation token cancelled by Ctrl+C (StopProcessing), and the bridge that runs engine operations
/// off the pipeline thread while their verbose, warning and progress records are written on it.
/// </summary>
public abstract class PgHaCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>This command's SSH connections, one per node host, shared by all its steps and closed in Dispose.</summary>
    private HostSessions? _hosts;

    /// <summary>The engine operations started, so that Dispose closes the connections only once none of them runs.</summary>
    private readonly List<Task> _operations = [];

    /// <summary>Database credential. Without it the password comes from the conninfo, PGPASSWORD or .pgpass.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Seconds to wait for each connection; a dead node costs this much once, nodes are probed in parallel.</summary>
    [Parameter]
    [ValidateRange(1, 300)]
    public int ConnectTimeout { get; set; } = 3;

    protected CancellationToken StopToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Runs an engine operation; a PgHaException comes back as a PgHaException (see <see cref="ToErrorRecord"/>).</summary>
    protected T RunEngine<T>(Func<OperationContext, Task<T>> operation) => RunEngine((context, _) => operation(context));

    /// <summary>The same, for operations that also write host lines through the reporter (<see cref="PipelineReporter.Information"/>).</summary>
    private protected T RunEngine<T>(Func<OperationContext, PipelineReporter, Task<T>> operation)
    {
        var reporter = new PipelineReporter(progressId: 1);
        NetworkCredential? credential = Credential is null || ReferenceEquals(Credential, PSCredential.Empty)
            ? null
            : Credential.GetNetworkCredential();
        var context = new OperationContext(reporter, credential, ConnectTimeout, StopToken)
        {
            Ssh = SshSettings(),
            EventHook = EventHookFor(reporter),
            ClusterSecret = ClusterSecretFor(),
            Hosts = SharesHostSessions ? _hosts ??= new HostSessions() : null,
        };
        Task<T> work = Task.Run(() => operation(context, reporter));
        lock (_operations)
        {
            _operations.Add(work);
        }
        try
        {
            return reporter.Pump(this, work);
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Npgsql.NpgsqlException ex)
        {
            // A statement failed after the connection was made (permissions on schema pgha, a query
            // cancelled on a standby, ...): still an error record with an ErrorId, not a raw driver exception.
            string state = ex is Npgsql.PostgresException pg ? $" (SQLSTATE {pg.SqlState})" : string.Empty;
            throw new PgHaException(PgHaErrorIds.DatabaseError, null,
                $"A database command failed{state}: {ex.Message}. Check the user's privileges on the PgHa metadata (schema pgha) and the server log.", ex);
        }
    }

    /// <summary>
    /// Whether the command's steps share one SSH login per host (true); Start-PgHaMonitor, which runs for days,
    /// says no: an idle login kept that long would be a surprise, and its steps log in as they need to.
    /// </summary>
    private protected virtual bool SharesHostSessions => true;

    /// <summary>What to run after each event the operation commits; commands that write events override it.</summary>
    private protected virtual EventHook? EventHookFor(PipelineReporter reporter) => null;

    /// <summary>The cluster secret, for commands that talk to the monitors (they override it); null: none.</summary>
    private protected virtual ClusterSecret? ClusterSecretFor() => null;

    /// <summary>
    /// The cluster secret's file: <paramref name="parameter"/> (-SecretFile), else $PgHaClusterSecretFile, else
    /// $env:PGHA_CLUSTER_SECRET_FILE, else ~/.pgha/cluster-secret; and whether it was asked for rather than the default.
    /// </summary>
    private protected (string Path, bool Explicit) ClusterSecretPath(string? parameter)
    {
        // A blank -SecretFile would fall through to the session's or the default file: a script whose
        // variable went empty must not be served another secret than the one it named.
        if (parameter is not null && string.IsNullOrWhiteSpace(parameter))
        {
            throw new PgHaException(PgHaErrorIds.ClusterSecretMissing, parameter,
                "-SecretFile is blank. Give the path of the cluster secret file, or leave -SecretFile out to use $PgHaClusterSecretFile, $env:PGHA_CLUSTER_SECRET_FILE or ~/.pgha/cluster-secret.");
        }
        object? variable = SessionState.PSVariable.GetValue(ClusterSecretLocation.SessionVariable);
        string? fromSession = (variable is PSObject wrapped ? wrapped.BaseObject : variable)?.ToString();
        var (path, isExplicit) = ClusterSecretLocation.Resolve(parameter, fromSession);
        return (SessionState.Path.GetUnresolvedProviderPathFromPSPath(path), isExplicit);
    }

    /// <summary>The cluster secret when there is one: a file that was asked for must be there; the default file may be missing (null), but never exposed or malformed.</summary>
    private protected ClusterSecret? FindClusterSecret(string? parameter)
    {
        var (path, isExplicit) = ClusterSecretPath(parameter);
        return isExplicit || File.Exists(path) ? ClusterSecret.Load(path) : null;
    }

    /// <summary>How this command logs in to nodes' hosts over SSH; commands with SSH parameters override it.</summary>
    protected virtual SshClientSettings SshSettings() => SshClientSettings.Default;

    protected static ErrorRecord ToErrorRecord(PgHaException ex) => ErrorRecords.Of(ex);

    /// <summary>Parses a conninfo given as a parameter; a bad one ends the call with PgHaConninfoInvalid.</summary>
    protected ConnectionInfo ParseConninfoParameter(string text, string parameterName)
    {
        string shown = parameterName.Contains('.') ? parameterName : "-" + parameterName;
        // libpq reads a blank conninfo as "all defaults" (PGHOST, the local socket); given as a parameter it
        // is a value that went missing on the way (an unset variable in a script), not a choice.
        if (string.IsNullOrWhiteSpace(text))
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.ConninfoInvalid, parameterName,
                $"{shown} is blank. Give the node's libpq connection string, such as 'host=pg1 port=5432 user=postgres dbname=pgha'.")));
        }
        if (ConnectionInfo.TryParse(text, out ConnectionInfo? info, out string? error) && info is not null)
        {
            return info;
        }
        var ex = new PgHaException(PgHaErrorIds.ConninfoInvalid, parameterName,
            MessageText.Shorten($"{shown} is not a valid libpq connection string: {error} Write it as 'host=... port=... user=... dbname=...' or as a postgresql:// URI."));
        ThrowTerminatingError(ToErrorRecord(ex));
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>A name to register or clone under; one the node-name rule refuses ends the call with PgHaNodeNameInvalid.</summary>
    private protected void ValidateName(string name)
    {
        try
        {
            NodeNames.Validate(name);
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
    }

    /// <summary>The -Conninfo entry points of a cluster command, parsed (the first that answers is used).</summary>
    protected IReadOnlyList<ConnectionInfo> EntryPoints(string[] conninfos) =>
        conninfos.Select(text => ParseConninfoParameter(text, "Conninfo")).ToList();

    /// <summary>The registered nodes with their live status, read through the first -Conninfo that answers; failure ends the call.</summary>
    protected PgHaCluster ReadCluster(string[] conninfos) => ReadCluster(conninfos, null);

    /// <summary>The same, reading etcd's leader key with <paramref name="etcdCredential"/> when etcd decides the cluster's elections.</summary>
    protected PgHaCluster ReadCluster(string[] conninfos, PSCredential? etcdCredential)
    {
        var entryPoints = EntryPoints(conninfos);
        EtcdAccess access = EtcdAccessSources.FromCredential(NetworkCredentialOf(etcdCredential));
        try
        {
            return RunEngine(context => ClusterStatusReader.ReadAsync(context, entryPoints, access));
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>A PSCredential's user and password; null for none (or PSCredential.Empty).</summary>
    private protected static NetworkCredential? NetworkCredentialOf(PSCredential? credential) =>
        credential is null || ReferenceEquals(credential, PSCredential.Empty) ? null : credential.GetNetworkCredential();

    public void Dispose()
    {
        // The SSH connections are closed here, when PowerShell is done with the command (after its last
        // record), not after each RunEngine: a switchover's checks and its work share them. An operation can
        // outlive the command: after Ctrl+C the pipeline stops taking its records while it finishes its
        // clean-up (removing a temporary password file from a host, whatever the cancellation), which must keep
        // its connections: they are closed once it ends.
        if (_hosts is { } hosts)
        {
            Task[] running;
            lock (_operations)
            {
                running = _operations.Where(t => !t.IsCompleted).ToArray();
            }
            if (running.Length == 0)
            {
                hosts.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            else
            {
                _ = Task.WhenAll(running).ContinueWith(_ => hosts.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }
        }
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
