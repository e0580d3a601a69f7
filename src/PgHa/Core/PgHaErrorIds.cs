using System.Collections.Frozen;
using System.Management.Automation;
using System.Reflection;

namespace PgHa.Core;

/// <summary>
/// Every ErrorId PgHa raises, with its PowerShell <see cref="ErrorCategory"/>: one line per id, grouped by
/// concern. A constant is named as its id without the "PgHa" prefix, so a grep for either finds both. Raise
/// sites name the constant (<c>new PgHaException(PgHaErrorIds.ConninfoInvalid, target, message)</c>) and the
/// category comes from here. A new id is added here and to the help of the cmdlets that can raise it
/// (tests/PgHa.UnitTests/Core/PgHaErrorIdsTests.cs checks both). Ids are stable: users grep for them and
/// match <c>FullyQualifiedErrorId</c> in scripts, so an id is never renamed or given another meaning.
/// </summary>
internal static class PgHaErrorIds
{
    // ---- Conninfo, connections, TLS -------------------------------------------------------------

    /// <summary>A conninfo (given or registered) is not one libpq accepts, or has a keyword PgHa cannot honour.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string ConninfoInvalid = "PgHaConninfoInvalid";

    /// <summary>The conninfo's TLS settings cannot be used (missing root file, readable key, sslcrldir, ...).</summary>
    [Category(ErrorCategory.SecurityError)] public const string TlsConfigurationInvalid = "PgHaTlsConfigurationInvalid";

    /// <summary>The server's certificate failed the check libpq makes for this sslmode.</summary>
    [Category(ErrorCategory.SecurityError)] public const string ServerCertificateRejected = "PgHaServerCertificateRejected";

    /// <summary>The server refused the login.</summary>
    [Category(ErrorCategory.AuthenticationError)] public const string AuthenticationFailed = "PgHaAuthenticationFailed";

    /// <summary>The conninfo names a database the server does not have.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string DatabaseMissing = "PgHaDatabaseMissing";

    /// <summary>The node does not answer (refused, timed out, name not resolved).</summary>
    [Category(ErrorCategory.ConnectionError)] public const string NodeUnreachable = "PgHaNodeUnreachable";

    /// <summary>A statement failed after the connection was made (privileges, a cancelled query, ...).</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string DatabaseError = "PgHaDatabaseError";

    // ---- Metadata (schema pgha) -----------------------------------------------------------------

    /// <summary>The database has no pgha schema.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string MetadataMissing = "PgHaMetadataMissing";

    /// <summary>The pgha schema is newer than this PgHa knows.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string MetadataTooNew = "PgHaMetadataTooNew";

    /// <summary>The pgha schema is older than the monitor needs (no cluster state).</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string MetadataTooOld = "PgHaMetadataTooOld";

    /// <summary>The monitor could not read the metadata from any node (it keeps trying while it starts).</summary>
    [Category(ErrorCategory.ConnectionError)] public const string MetadataUnreachable = "PgHaMetadataUnreachable";

    // ---- Nodes and registration -----------------------------------------------------------------

    /// <summary>No registered node has that name or id (names are exact and case-sensitive).</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string NodeNotFound = "PgHaNodeNotFound";

    /// <summary>The name cannot be a node name (empty, too long, or characters other than ASCII letters, digits, '_', '.', '-').</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string NodeNameInvalid = "PgHaNodeNameInvalid";

    /// <summary>The name is registered for another node id, or differs from a registered name only in case.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string NodeNameInUse = "PgHaNodeNameInUse";

    /// <summary>The node id is registered under another name.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string NodeIdInUse = "PgHaNodeIdInUse";

    /// <summary>The node is registered with other settings; -Force updates them.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string NodeAlreadyRegistered = "PgHaNodeAlreadyRegistered";

    /// <summary>Another node is registered as the active primary.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string PrimaryAlreadyRegistered = "PgHaPrimaryAlreadyRegistered";

    /// <summary>Another node is registered as primary and still runs as one: two writable primaries.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string PrimaryConflict = "PgHaPrimaryConflict";

    /// <summary>A witness cannot find the primary by itself: -PrimaryConninfo is needed.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string PrimaryConninfoRequired = "PgHaPrimaryConninfoRequired";

    /// <summary>The registered primary is in recovery, so the metadata cannot be written on it.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string PrimaryInRecovery = "PgHaPrimaryInRecovery";

    /// <summary>The registered primary cannot be reached to change the metadata.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string PrimaryUnreachable = "PgHaPrimaryUnreachable";

    /// <summary>No active primary is registered in the metadata the node holds.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string NoPrimaryRegistered = "PgHaNoPrimaryRegistered";

    /// <summary>No active primary is registered (to follow it, or to record a pause on it).</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string PrimaryNotFound = "PgHaPrimaryNotFound";

    /// <summary>The node runs in another role than the one it is being registered as.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string RoleMismatch = "PgHaRoleMismatch";

    /// <summary>The node is not a copy of the primary's cluster (another system identifier).</summary>
    [Category(ErrorCategory.InvalidData)] public const string SystemIdentifierMismatch = "PgHaSystemIdentifierMismatch";

    /// <summary>A witness has the primary's system identifier: it is part of the replication cluster.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string WitnessInCluster = "PgHaWitnessInCluster";

    /// <summary>The standby is in recovery but does not stream from an upstream.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string StandbyNotAttached = "PgHaStandbyNotAttached";

    /// <summary>-Upstream is not a registered node.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string UpstreamNotRegistered = "PgHaUpstreamNotRegistered";

    /// <summary>The standby streams from another node than -Upstream.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string UpstreamMismatch = "PgHaUpstreamMismatch";

    /// <summary>A parameter given does not apply to the -Role asked for.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string ParameterNotApplicable = "PgHaParameterNotApplicable";

    /// <summary>The node still runs or streams: unregistering it needs it stopped, or -Force.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string NodeStillActive = "PgHaNodeStillActive";

    /// <summary>Other nodes stream from the node being unregistered.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string NodeHasDownstream = "PgHaNodeHasDownstream";

    // ---- A node's host: data directory, programs, SSH -------------------------------------------

    /// <summary>The node's record has no data directory and none was given.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string DataDirectoryUnknown = "PgHaDataDirectoryUnknown";

    /// <summary>There is no PostgreSQL data directory at the path (no readable PG_VERSION).</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string DataDirectoryNotFound = "PgHaDataDirectoryNotFound";

    /// <summary>The data directory holds the marker of a clone that did not finish; it must not be started.</summary>
    [Category(ErrorCategory.InvalidData)] public const string DataDirectoryIncomplete = "PgHaDataDirectoryIncomplete";

    /// <summary>A PostgreSQL program is not in the bin directory on the node's host.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string ProgramNotFound = "PgHaProgramNotFound";

    /// <summary>The node's host cannot be reached over SSH.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string SshUnreachable = "PgHaSshUnreachable";

    /// <summary>The SSH login was refused.</summary>
    [Category(ErrorCategory.AuthenticationError)] public const string SshAuthenticationFailed = "PgHaSshAuthenticationFailed";

    /// <summary>The host's SSH key is not in known_hosts.</summary>
    [Category(ErrorCategory.SecurityError)] public const string SshHostKeyUnknown = "PgHaSshHostKeyUnknown";

    /// <summary>The host's SSH key differs from the one in known_hosts.</summary>
    [Category(ErrorCategory.SecurityError)] public const string SshHostKeyMismatch = "PgHaSshHostKeyMismatch";

    // ---- The directory guard: what PgHa never deletes or overwrites -----------------------------

    /// <summary>The directory is the data directory of a running server.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string DirectoryIsRunningServer = "PgHaDirectoryIsRunningServer";

    /// <summary>The directory lies inside the data directory of a running server.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string DirectoryInsideRunningServer = "PgHaDirectoryInsideRunningServer";

    /// <summary>The directory contains the data directory of a running server.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string DirectoryContainsRunningServer = "PgHaDirectoryContainsRunningServer";

    /// <summary>The directory is, contains or lies inside the current primary's data directory.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string DirectoryOfPrimary = "PgHaDirectoryOfPrimary";

    /// <summary>The directory holds a tablespace of a running server or of the primary.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string DirectoryHoldsTablespace = "PgHaDirectoryHoldsTablespace";

    /// <summary>The directory holds the (relocated) WAL directory of a running server or of the primary.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string DirectoryHoldsWal = "PgHaDirectoryHoldsWal";

    /// <summary>A non-empty directory that is not a PostgreSQL data directory; replacing it needs its own switch.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string DirectoryNotDataDirectory = "PgHaDirectoryNotDataDirectory";

    /// <summary>The directory could not be checked on its host, so it is not touched.</summary>
    [Category(ErrorCategory.ReadError)] public const string DirectoryCheckFailed = "PgHaDirectoryCheckFailed";

    /// <summary>The path cannot be a directory to delete or write (empty, relative, the root, ...).</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string DirectoryPathInvalid = "PgHaDirectoryPathInvalid";

    // ---- Starting and stopping a server ---------------------------------------------------------

    /// <summary>The server did not start.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string NodeStartFailed = "PgHaNodeStartFailed";

    /// <summary>pg_ctl stop failed, so the server was not asked to stop.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string NodeStopFailed = "PgHaNodeStopFailed";

    /// <summary>The server did not stop within the wait.</summary>
    [Category(ErrorCategory.OperationTimeout)] public const string NodeStopTimeout = "PgHaNodeStopTimeout";

    /// <summary>pg_ctl status failed in a way that says nothing about the server.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string NodeStatusFailed = "PgHaNodeStatusFailed";

    /// <summary>Stopping or restarting the primary from a host that cannot ask for confirmation needs -Force.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string PrimaryConfirmationRequired = "PgHaPrimaryConfirmationRequired";

    // ---- Cloning a standby (New-PgHaStandby) ----------------------------------------------------

    /// <summary>The clone's source does not answer.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string CloneSourceUnreachable = "PgHaCloneSourceUnreachable";

    /// <summary>The source refuses replication connections (pg_hba.conf, REPLICATION attribute).</summary>
    [Category(ErrorCategory.PermissionDenied)] public const string CloneReplicationRefused = "PgHaCloneReplicationRefused";

    /// <summary>The source has no free walsender.</summary>
    [Category(ErrorCategory.LimitsExceeded)] public const string CloneWalSendersExhausted = "PgHaCloneWalSendersExhausted";

    /// <summary>The source has no free replication slot.</summary>
    [Category(ErrorCategory.LimitsExceeded)] public const string CloneSlotsExhausted = "PgHaCloneSlotsExhausted";

    /// <summary>The source's wal_level is below replica.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string CloneWalLevel = "PgHaCloneWalLevel";

    /// <summary>The target's PostgreSQL programs are another major version than the source.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string CloneVersionMismatch = "PgHaCloneVersionMismatch";

    /// <summary>pg_basebackup or another program the clone needs is missing on the target.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string CloneProgramNotFound = "PgHaCloneProgramNotFound";

    /// <summary>The target has less free space than the source's data.</summary>
    [Category(ErrorCategory.LimitsExceeded)] public const string CloneDiskSpace = "PgHaCloneDiskSpace";

    /// <summary>The target directory's parent cannot be reached or written by the PostgreSQL OS user.</summary>
    [Category(ErrorCategory.PermissionDenied)] public const string CloneTargetPathInvalid = "PgHaCloneTargetPathInvalid";

    /// <summary>A server runs in the target directory.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string CloneTargetRunning = "PgHaCloneTargetRunning";

    /// <summary>The target directory is the source's (the primary's) own.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string CloneTargetIsPrimary = "PgHaCloneTargetIsPrimary";

    /// <summary>The target directory holds data and -Force was not given.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string CloneTargetNotEmpty = "PgHaCloneTargetNotEmpty";

    /// <summary>pg_basebackup or a later step failed; the directory is marked incomplete.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string CloneFailed = "PgHaCloneFailed";

    /// <summary>The new standby started but did not stream within the wait.</summary>
    [Category(ErrorCategory.OperationTimeout)] public const string StandbyNotStreaming = "PgHaStandbyNotStreaming";

    /// <summary>-Start or -Register without the new standby's own -Conninfo.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string ConninfoRequired = "PgHaConninfoRequired";

    /// <summary>-MaxRate is outside what pg_basebackup accepts.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string MaxRateInvalid = "PgHaMaxRateInvalid";

    /// <summary>A -ServerSettings name is not a plain PostgreSQL parameter, or is one PgHa writes itself.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string ServerSettingInvalid = "PgHaServerSettingInvalid";

    // ---- Role changes: promote, follow, rejoin --------------------------------------------------

    /// <summary>Another role change holds the cluster's lock.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string RoleChangeInProgress = "PgHaRoleChangeInProgress";

    /// <summary>The node to promote does not answer.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string PromoteNodeUnreachable = "PgHaPromoteNodeUnreachable";

    /// <summary>The node to promote is not an active standby.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string PromoteNotStandby = "PgHaPromoteNotStandby";

    /// <summary>The registered primary still runs and takes writes.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string PrimaryStillRunning = "PgHaPrimaryStillRunning";

    /// <summary>The node did not leave recovery within the wait.</summary>
    [Category(ErrorCategory.OperationTimeout)] public const string PromoteTimeout = "PgHaPromoteTimeout";

    /// <summary>The node to re-point is not an active standby.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string FollowNotStandby = "PgHaFollowNotStandby";

    /// <summary>-Upstream cannot be followed (the node itself, a witness, an inactive node).</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string FollowUpstreamInvalid = "PgHaFollowUpstreamInvalid";

    /// <summary>The standby or its new upstream does not answer.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string FollowNodeUnreachable = "PgHaFollowNodeUnreachable";

    /// <summary>The standby and the new upstream are not copies of the same cluster.</summary>
    [Category(ErrorCategory.InvalidData)] public const string FollowSystemMismatch = "PgHaFollowSystemMismatch";

    /// <summary>The standby's timeline is not on the new upstream's history.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string FollowTimelineMismatch = "PgHaFollowTimelineMismatch";

    /// <summary>The standby has replayed past the point where the new upstream's timeline forked.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string FollowDiverged = "PgHaFollowDiverged";

    /// <summary>The standby did not stream from the new upstream within the wait.</summary>
    [Category(ErrorCategory.OperationTimeout)] public const string FollowTimeout = "PgHaFollowTimeout";

    /// <summary>A timeline history file could not be read or understood.</summary>
    [Category(ErrorCategory.ReadError)] public const string TimelineHistoryUnreadable = "PgHaTimelineHistoryUnreadable";

    /// <summary>A witness holds no copy of the data and cannot rejoin.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string RejoinWitness = "PgHaRejoinWitness";

    /// <summary>No other node is the active primary, so there is nothing to rejoin.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string RejoinNoPrimary = "PgHaRejoinNoPrimary";

    /// <summary>-Upstream is neither the active primary nor an active standby.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string RejoinUpstreamInvalid = "PgHaRejoinUpstreamInvalid";

    /// <summary>The upstream does not answer.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string RejoinUpstreamUnreachable = "PgHaRejoinUpstreamUnreachable";

    /// <summary>The upstream registered as primary is in recovery.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string RejoinUpstreamInRecovery = "PgHaRejoinUpstreamInRecovery";

    /// <summary>The node's server runs; a rejoin needs it stopped.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string RejoinNodeRunning = "PgHaRejoinNodeRunning";

    /// <summary>pg_controldata's output was not understood.</summary>
    [Category(ErrorCategory.InvalidData)] public const string RejoinControlDataUnreadable = "PgHaRejoinControlDataUnreadable";

    /// <summary>The node's data belongs to another cluster than the upstream's.</summary>
    [Category(ErrorCategory.InvalidData)] public const string RejoinNotSameCluster = "PgHaRejoinNotSameCluster";

    /// <summary>Where the node's WAL ends is unknown: only a new clone helps.</summary>
    [Category(ErrorCategory.InvalidData)] public const string RejoinNeedsClone = "PgHaRejoinNeedsClone";

    /// <summary>The node diverged: it needs pg_rewind (-ForceRewind).</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string RejoinNeedsRewind = "PgHaRejoinNeedsRewind";

    /// <summary>The node needs pg_rewind but has neither wal_log_hints nor data checksums.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string RejoinRewindImpossible = "PgHaRejoinRewindImpossible";

    /// <summary>pg_rewind failed.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string RejoinRewindFailed = "PgHaRejoinRewindFailed";

    // ---- Switchover -----------------------------------------------------------------------------

    /// <summary>No active primary is registered, or the registered one is not running as a primary.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string SwitchoverNoPrimary = "PgHaSwitchoverNoPrimary";

    /// <summary>The candidate is not a running standby.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string SwitchoverCandidateNotStandby = "PgHaSwitchoverCandidateNotStandby";

    /// <summary>The candidate does not stream from the primary.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string SwitchoverCandidateNotAttached = "PgHaSwitchoverCandidateNotAttached";

    /// <summary>The candidate is further behind than -MaxLagBytes.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string SwitchoverStandbyLagging = "PgHaSwitchoverStandbyLagging";

    /// <summary>The candidate has too few free walsenders for the nodes that would stream from it.</summary>
    [Category(ErrorCategory.LimitsExceeded)] public const string SwitchoverWalSenders = "PgHaSwitchoverWalSenders";

    /// <summary>The primary has more WAL files waiting to be archived than -MaxArchiveReady.</summary>
    [Category(ErrorCategory.LimitsExceeded)] public const string SwitchoverArchiveBacklog = "PgHaSwitchoverArchiveBacklog";

    /// <summary>The old primary could not be stopped; nothing was promoted.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string SwitchoverStopFailed = "PgHaSwitchoverStopFailed";

    /// <summary>The old primary did not shut down cleanly; nothing was promoted.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string SwitchoverUnproven = "PgHaSwitchoverUnproven";

    /// <summary>The candidate did not reach the old primary's shutdown checkpoint in time.</summary>
    [Category(ErrorCategory.OperationTimeout)] public const string SwitchoverCandidateBehind = "PgHaSwitchoverCandidateBehind";

    /// <summary>The candidate did not confirm its promotion; the old primary stays stopped.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string SwitchoverPromoteFailed = "PgHaSwitchoverPromoteFailed";

    /// <summary>The candidate was promoted, but the metadata on it could not be updated; the monitors stay paused.</summary>
    [Category(ErrorCategory.WriteError)] public const string SwitchoverRecordFailed = "PgHaSwitchoverRecordFailed";

    /// <summary>The switchover is done and recorded, but the old primary did not rejoin as a standby.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string SwitchoverRejoinFailed = "PgHaSwitchoverRejoinFailed";

    // ---- Monitor --------------------------------------------------------------------------------

    /// <summary>The metadata records another consensus backend than the one this monitor started with (changed while it ran), or one this version cannot read.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string MonitorConsensusMismatch = "PgHaMonitorConsensusMismatch";

    /// <summary>The monitor's timeouts would not let the primary fence itself before a majority votes it out.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string MonitorUnsafeTimeouts = "PgHaMonitorUnsafeTimeouts";

    /// <summary>The monitor cannot listen on its peer port.</summary>
    [Category(ErrorCategory.ResourceUnavailable)] public const string MonitorPortInUse = "PgHaMonitorPortInUse";

    /// <summary>The monitor's vote record cannot be read.</summary>
    [Category(ErrorCategory.InvalidData)] public const string MonitorStateUnreadable = "PgHaMonitorStateUnreadable";

    /// <summary>The monitor's vote record cannot be written.</summary>
    [Category(ErrorCategory.PermissionDenied)] public const string MonitorStateUnwritable = "PgHaMonitorStateUnwritable";

    /// <summary>-HttpAddress is not an IP address.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string MonitorHttpAddressInvalid = "PgHaMonitorHttpAddressInvalid";

    /// <summary>-HttpPort is not a TCP port.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string MonitorHttpPortInvalid = "PgHaMonitorHttpPortInvalid";

    /// <summary>Only one of -HttpCertificateFile and -HttpKeyFile was given.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string MonitorHttpCertificateIncomplete = "PgHaMonitorHttpCertificateIncomplete";

    /// <summary>The HTTP endpoint's certificate or key cannot be loaded.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string MonitorHttpCertificateInvalid = "PgHaMonitorHttpCertificateInvalid";

    /// <summary>The HTTP endpoint cannot listen on its port.</summary>
    [Category(ErrorCategory.ResourceUnavailable)] public const string MonitorHttpPortInUse = "PgHaMonitorHttpPortInUse";

    // ---- Consensus (Set-PgHaConsensus) ----------------------------------------------------------

    /// <summary>The consensus settings given do not fit together (etcd parameters without -Backend Etcd, no endpoint, ...).</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string ConsensusInvalid = "PgHaConsensusInvalid";

    /// <summary>The consensus can be changed only while the monitors are paused.</summary>
    [Category(ErrorCategory.InvalidOperation)] public const string ConsensusNotPaused = "PgHaConsensusNotPaused";

    // ---- Cluster secret (the monitors' signing key) ---------------------------------------------

    /// <summary>There is no cluster secret file.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string ClusterSecretMissing = "PgHaClusterSecretMissing";

    /// <summary>Other users may read or write the cluster secret file.</summary>
    [Category(ErrorCategory.SecurityError)] public const string ClusterSecretExposed = "PgHaClusterSecretExposed";

    /// <summary>The cluster secret file cannot be read.</summary>
    [Category(ErrorCategory.PermissionDenied)] public const string ClusterSecretUnreadable = "PgHaClusterSecretUnreadable";

    /// <summary>The cluster secret file does not hold a usable key.</summary>
    [Category(ErrorCategory.InvalidData)] public const string ClusterSecretInvalid = "PgHaClusterSecretInvalid";

    /// <summary>A cluster secret file exists already; it is never overwritten.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string ClusterSecretExists = "PgHaClusterSecretExists";

    // ---- etcd -----------------------------------------------------------------------------------

    /// <summary>No etcd member answered within the deadline, or none has a quorum: nothing can be decided.</summary>
    [Category(ErrorCategory.ConnectionError)] public const string EtcdUnreachable = "PgHaEtcdUnreachable";

    /// <summary>etcd refused the user name or password (or none was given to an etcd with auth on).</summary>
    [Category(ErrorCategory.AuthenticationError)] public const string EtcdAuthenticationFailed = "PgHaEtcdAuthenticationFailed";

    /// <summary>The etcd user lacks a role with readwrite on the cluster's prefix.</summary>
    [Category(ErrorCategory.PermissionDenied)] public const string EtcdPermissionDenied = "PgHaEtcdPermissionDenied";

    /// <summary>The leader key is held by another node, of this cluster or of a previous one.</summary>
    [Category(ErrorCategory.ResourceBusy)] public const string EtcdLeaderHeldByAnother = "PgHaEtcdLeaderHeldByAnother";

    /// <summary>The leader key (or the lease it was on) is gone.</summary>
    [Category(ErrorCategory.ResourceUnavailable)] public const string EtcdLeaderLost = "PgHaEtcdLeaderLost";

    /// <summary>The lease is unknown to etcd: it ended (TTL passed without a keepalive) or was revoked.</summary>
    [Category(ErrorCategory.ResourceUnavailable)] public const string EtcdLeaseNotFound = "PgHaEtcdLeaseNotFound";

    /// <summary>etcd answered with an error PgHa does not expect (a bug, or an etcd version PgHa does not know).</summary>
    [Category(ErrorCategory.ProtocolError)] public const string EtcdRequestFailed = "PgHaEtcdRequestFailed";

    /// <summary>The etcd client settings are unusable (no endpoints, bad URL, unreadable certificate).</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string EtcdInvalidSettings = "PgHaEtcdInvalidSettings";

    /// <summary>The etcd password file is missing, unreadable or empty.</summary>
    [Category(ErrorCategory.ReadError)] public const string EtcdPasswordFileInvalid = "PgHaEtcdPasswordFileInvalid";

    /// <summary>The etcd password file may be read or written by other users.</summary>
    [Category(ErrorCategory.SecurityError)] public const string EtcdPasswordFileExposed = "PgHaEtcdPasswordFileExposed";

    // ---- Sandbox --------------------------------------------------------------------------------

    /// <summary>-FirstAddress is not an IPv4 loopback address.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string SandboxAddressInvalid = "PgHaSandboxAddressInvalid";

    /// <summary>Not enough loopback addresses with the port free.</summary>
    [Category(ErrorCategory.ResourceUnavailable)] public const string SandboxNoAddress = "PgHaSandboxNoAddress";

    /// <summary>-Path cannot be created or reached by the PostgreSQL OS user.</summary>
    [Category(ErrorCategory.PermissionDenied)] public const string SandboxPathInvalid = "PgHaSandboxPathInvalid";

    /// <summary>-Path is not empty.</summary>
    [Category(ErrorCategory.ResourceExists)] public const string SandboxPathInUse = "PgHaSandboxPathInUse";

    /// <summary>A program failed while the sandbox was made.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string SandboxStepFailed = "PgHaSandboxStepFailed";

    /// <summary>The folder is not a sandbox made by New-PgHaSandbox.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string SandboxNotFound = "PgHaSandboxNotFound";

    /// <summary>-Etcd was given but there is no etcd program on this machine.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string SandboxEtcdMissing = "PgHaSandboxEtcdMissing";

    /// <summary>An etcd member of the sandbox could not be started, or etcd did not answer in time.</summary>
    [Category(ErrorCategory.InvalidResult)] public const string SandboxEtcdFailed = "PgHaSandboxEtcdFailed";

    /// <summary>The sandbox's servers were stopped but its folder could not be deleted.</summary>
    [Category(ErrorCategory.WriteError)] public const string SandboxRemoveFailed = "PgHaSandboxRemoveFailed";

    // ---- Cmdlet parameters and configuration files ----------------------------------------------

    /// <summary>A test threshold's warning value is above its critical one.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string CheckThresholdInvalid = "PgHaCheckThresholdInvalid";

    /// <summary>$PgHaEventCommand or $PgHaEventAction holds something that cannot be run.</summary>
    [Category(ErrorCategory.InvalidArgument)] public const string EventHookInvalid = "PgHaEventHookInvalid";

    /// <summary>A configuration file named does not exist.</summary>
    [Category(ErrorCategory.ObjectNotFound)] public const string ConfigNotFound = "PgHaConfigNotFound";

    /// <summary>A configuration file cannot be read.</summary>
    [Category(ErrorCategory.ReadError)] public const string ConfigUnreadable = "PgHaConfigUnreadable";

    /// <summary>A configuration file has settings PgHa cannot use.</summary>
    [Category(ErrorCategory.InvalidData)] public const string ConfigInvalid = "PgHaConfigInvalid";

    // ---------------------------------------------------------------------------------------------

    private static readonly FrozenDictionary<string, ErrorCategory> Categories = typeof(PgHaErrorIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .ToFrozenDictionary(
            f => (string)f.GetRawConstantValue()!,
            f => f.GetCustomAttribute<CategoryAttribute>()?.Category
                 ?? throw new InvalidOperationException($"PgHaErrorIds.{f.Name} has no [Category]."),
            StringComparer.Ordinal);

    /// <summary>Every ErrorId with its category.</summary>
    public static IReadOnlyDictionary<string, ErrorCategory> All => Categories;

    /// <summary>
    /// The category of <paramref name="errorId"/>. An id not in the catalogue (a bug the unit tests look for)
    /// gets NotSpecified rather than an exception: this runs while an error is being reported.
    /// </summary>
    public static ErrorCategory CategoryOf(string errorId) =>
        Categories.TryGetValue(errorId, out ErrorCategory category) ? category : ErrorCategory.NotSpecified;

    /// <summary>The category of the ErrorId it is written on.</summary>
    [AttributeUsage(AttributeTargets.Field)]
    private sealed class CategoryAttribute(ErrorCategory category) : Attribute
    {
        public ErrorCategory Category { get; } = category;
    }
}
