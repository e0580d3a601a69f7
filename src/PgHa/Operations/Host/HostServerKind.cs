namespace PgHa.Operations.Host;

/// <summary>How the guard came to know a data directory on the target host.</summary>
internal enum HostServerKind
{
    /// <summary>A postmaster runs from it (found from its process, or from a postmaster.pid naming a live postgres process).</summary>
    Running,

    /// <summary>A postmaster still runs, but its data directory was deleted under it (its working directory reads "(deleted)").</summary>
    Deleted,

    /// <summary>The current primary's registered data directory on this host, running or not.</summary>
    Primary,
}
