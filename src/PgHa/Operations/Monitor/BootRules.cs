namespace PgHa.Operations.Monitor;

/// <summary>What a monitor that owns its server (-ManageServer) does with a server it finds stopped at its start.</summary>
internal enum BootAction
{
    /// <summary>A standby or the witness: start it as it is.</summary>
    Start,

    /// <summary>The primary of the newest term the metadata knows: start it with standby.signal in place; an election (which it wins with the most WAL, or loses to a standby that has as much) makes it writable again.</summary>
    StartReadOnly,

    /// <summary>A primary another node replaced: standby.signal in place, left stopped; the monitor rejoins it to the new primary.</summary>
    StayFencedForRejoin,
}

/// <summary>
/// The rule a monitor applies to its stopped server at boot. A node never starts writable from here: a primary
/// whose monitor died before it could fence has no standby.signal, and a reboot that started PostgreSQL's own
/// unit would bring it up writable beside the new primary (fault run). Under the monitor it comes up read-only,
/// and only an election or a rejoin decides what it becomes.
/// </summary>
internal static class BootRules
{
    public static BootAction Decide(PgHaRole registeredRole, bool active, bool leadsNewestKnownTerm) =>
        registeredRole switch
        {
            PgHaRole.Witness => BootAction.Start,
            PgHaRole.Standby when active => BootAction.Start,
            _ when leadsNewestKnownTerm => BootAction.StartReadOnly,
            _ => BootAction.StayFencedForRejoin,
        };
}
