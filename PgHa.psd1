@{
    RootModule             = 'PgHa.psm1'
    ModuleVersion          = '0.1.0'
    GUID                   = '5b0e8d7c-3f7a-4c1e-9a55-1d6f2e4b8a90'
    Author                 = 'PgHa contributors'
    CompanyName            = 'PgHa'
    Copyright              = '(c) PgHa contributors. MIT License.'
    Description            = 'High availability for PostgreSQL streaming replication: register nodes, clone standbys, show the cluster, switch over and fail over, as typed PowerShell cmdlets over SQL and SSH.'
    PowerShellVersion      = '7.4'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('PgHa.Format.ps1xml')
    TypesToProcess         = @('PgHa.Types.ps1xml')
    FunctionsToExport      = @()
    CmdletsToExport        = @(
        'Get-PgHaCluster'
        'Get-PgHaEvent'
        'Get-PgHaMonitor'
        'Get-PgHaNode'
        'Import-PgHaConfig'
        'Invoke-PgHaFollow'
        'Invoke-PgHaPromote'
        'Invoke-PgHaRejoin'
        'Invoke-PgHaSwitchover'
        'New-PgHaSandbox'
        'New-PgHaStandby'
        'Register-PgHaNode'
        'Remove-PgHaSandbox'
        'Restart-PgHaNode'
        'Resume-PgHaMonitor'
        'Set-PgHaConsensus'
        'Start-PgHaMonitor'
        'Start-PgHaNode'
        'Stop-PgHaNode'
        'Suspend-PgHaMonitor'
        'Test-PgHaCluster'
        'Test-PgHaNode'
        'Unregister-PgHaNode'
    )
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('PostgreSQL', 'Postgres', 'HighAvailability', 'HA', 'Replication', 'Failover', 'Switchover', 'repmgr', 'Linux')
            LicenseUri   = 'https://github.com/pgha/PgHa/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/pgha/PgHa'
            ReleaseNotes = @'
0.1.0
- Register-PgHaNode / Unregister-PgHaNode: primary, standby and witness registration with role checks.
- Get-PgHaCluster / Get-PgHaNode: repmgr-style cluster view plus LSNs, lag, attachment and warnings, nodes probed in parallel.
- Get-PgHaEvent: the cluster event log.
- Import-PgHaConfig: PgHa .psd1 node configuration and repmgr.conf.
- Start-PgHaNode / Stop-PgHaNode / Restart-PgHaNode: pg_ctl on the node's host (local or SSH), waited for with a deadline; stopping the primary asks unless -Force.
- New-PgHaStandby: clone a standby (checks first, -WhatIf is the dry run; fast checkpoint; progress; never replaces a running server's or the primary's data; -Force -Start -Register rebuilds a node in one line).
- New-PgHaSandbox / Remove-PgHaSandbox: a throwaway loopback cluster made through the real paths.
- Invoke-PgHaSwitchover: planned handover that promotes only with proof that the candidate has every WAL byte of the old primary; the old primary rejoins (pg_rewind only with -ForceRewind, should it need it), siblings follow, registered replication slots move to the new primary.
- Invoke-PgHaPromote / Invoke-PgHaFollow: promote a standby (refused while the primary runs), point a standby at a new upstream after checking the timeline history.
- Invoke-PgHaRejoin: bring a stopped former primary back as a standby, directly or with pg_rewind (-ForceRewind), deciding from pg_control and the timeline history; -WhatIf tells which.
- Start-PgHaMonitor / Get-PgHaMonitor / Suspend-PgHaMonitor / Resume-PgHaMonitor: automatic failover (repmgrd). One monitor per node; elections by majority of all members (witness included) with one persisted vote per term; the best standby (most received WAL, then priority, then lowest id) is promoted and the others follow; a primary without a majority fences itself (standby.signal, immediate stop) before anyone can vote it out; a replaced primary is rejoined with pg_rewind or kept fenced; location rule, pause, monitoring history, synchronous replication policy (Wait or Degrade).
- Event hooks: -EventCommand (repmgr placeholders) and -EventAction on every command that records events, and the monitor's event_notification_command.
- Test-PgHaNode / Test-PgHaCluster: repmgr's node check, cluster crosscheck and matrix as objects, one per check and node (Ok, Warning, Critical, Unknown with the value): role, upstream, lag in seconds and bytes, archive backlog, slots, pg_rewind readiness, the monitors; for the whole cluster also one writable primary, timelines, metadata copies, setting drift that breaks a later failover, and the reachability matrix. -Quiet gives one boolean; examples/check_pgha.ps1 is a Nagios/Icinga plugin over them.
- Register-PgHaNode -MonitorPort; metadata schema version 3 (pgha.cluster_state: term, pause, set-aside synchronous standbys).
- Set-PgHaConsensus: the built-in quorum or etcd decides elections (endpoints, prefix and TLS file paths in the metadata, schema version 4: pgha.consensus; set only while the monitors are paused); Get-PgHaCluster shows it with etcd's leader key holder and lease; etcd TLS, users and password files (node config Etcd = @{ ... }, -EtcdCredential), never stored.
'@
        }
    }
}
