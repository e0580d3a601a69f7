using PgHa.Core;
using PgHa.Metadata;

namespace PgHa.Operations;

/// <summary>
/// The rules for adding or rewriting a node record, as pure logic: duplicate ids and names, one active
/// primary, and "same settings again changes nothing". Applied when planning and again under the
/// metadata lock just before writing, so a concurrent registration cannot slip between the two.
/// </summary>
internal static class RegistrationRules
{
    /// <param name="existing">The records as they are now.</param>
    /// <param name="desired">The record to register; Id 0 means "pick one" (the existing id for this name, else the next free one).</param>
    /// <param name="force">-Force: rewrite an existing record of this node.</param>
    /// <param name="otherPrimaryIsLive">For a new primary with -Force: whether the currently registered primary still runs as a primary.</param>
    public static RegistrationDecision Decide(IReadOnlyList<NodeRecord> existing, NodeRecord desired, bool force, Func<NodeRecord, bool> otherPrimaryIsLive)
    {
        NodeRecord? sameName = NodeNames.Find(existing, n => n.Name, desired.Name);
        NodeRecord? differentlyCased = sameName is null
            ? NodeNames.Find(existing, n => n.Name, NodeNames.DifferentlyCased(existing.Select(n => n.Name), desired.Name))
            : null;
        // Renaming a record to a differently-cased name stays possible: its own id with -Force.
        if (differentlyCased is not null && !(force && desired.Id == differentlyCased.Id))
        {
            throw new PgHaException(PgHaErrorIds.NodeNameInUse, desired.Name,
                $"'{differentlyCased.Name}' (id {differentlyCased.Id}) is already registered, and '{desired.Name}' differs from it only in case: PgHa matches node names exactly, so the two would be easy to confuse. Use -Name '{differentlyCased.Name}' to mean that node, or choose a name that differs in more than case (to rename that record, give -Id {differentlyCased.Id} -Force).");
        }
        if (desired.Id == 0)
        {
            desired = desired with { Id = sameName?.Id ?? (existing.Count == 0 ? 1 : existing.Max(n => n.Id) + 1) };
        }

        NodeRecord? sameId = existing.FirstOrDefault(n => n.Id == desired.Id);
        if (sameName is not null && sameName.Id != desired.Id)
        {
            throw new PgHaException(PgHaErrorIds.NodeNameInUse, desired.Name,
                $"The name '{desired.Name}' is already registered for node id {sameName.Id}. Choose another name, or unregister node {sameName.Id} first with Unregister-PgHaNode.");
        }
        if (sameId is not null && !NodeNames.Same(sameId.Name, desired.Name) && !force)
        {
            throw new PgHaException(PgHaErrorIds.NodeIdInUse, desired.Id,
                $"Node id {desired.Id} is already registered as '{sameId.Name}'. Choose another -Id, or use -Force to rename that record to '{desired.Name}'.");
        }

        NodeRecord? primaryToDeactivate = null;
        if (desired.Role == PgHaRole.Primary && desired.Active)
        {
            NodeRecord? otherPrimary = existing.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active && n.Id != desired.Id);
            if (otherPrimary is not null)
            {
                if (!force)
                {
                    throw new PgHaException(PgHaErrorIds.PrimaryAlreadyRegistered, desired.Name,
                        $"Node '{otherPrimary.Name}' (id {otherPrimary.Id}) is already registered as the active primary. If '{desired.Name}' really is the primary now, use -Force: '{otherPrimary.Name}' is then marked inactive, provided it no longer runs as a primary.");
                }
                if (otherPrimaryIsLive(otherPrimary))
                {
                    throw new PgHaException(PgHaErrorIds.PrimaryConflict, desired.Name,
                        $"Node '{otherPrimary.Name}' is registered as primary and still runs as a primary. Two writable primaries must not both be registered: stop '{otherPrimary.Name}' (Stop-PgHaNode) first, then register '{desired.Name}' with -Force.");
                }
                primaryToDeactivate = otherPrimary;
            }
        }

        if (sameId is null)
        {
            return new RegistrationDecision(desired, PgHaRegistrationAction.Registered, primaryToDeactivate);
        }
        if (sameId.SameSettingsAs(desired) && primaryToDeactivate is null)
        {
            return new RegistrationDecision(desired, PgHaRegistrationAction.Unchanged, null);
        }
        if (!force)
        {
            throw new PgHaException(PgHaErrorIds.NodeAlreadyRegistered, desired.Name,
                $"Node '{desired.Name}' (id {desired.Id}) is already registered with other settings ({Differences(sameId, desired)}). Use -Force to update its record.");
        }
        return new RegistrationDecision(desired, PgHaRegistrationAction.Updated, primaryToDeactivate);
    }

    /// <summary>Names the settings that differ, for the error message (conninfos hold no password).</summary>
    public static string Differences(NodeRecord current, NodeRecord desired)
    {
        var parts = new List<string>();
        void Compare<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                parts.Add($"{name}: '{a}' -> '{b}'");
            }
        }
        Compare("role", current.Role, desired.Role);
        Compare("upstream id", current.UpstreamId, desired.UpstreamId);
        Compare("active", current.Active, desired.Active);
        Compare("location", current.Location, desired.Location);
        Compare("priority", current.Priority, desired.Priority);
        Compare("conninfo", current.Conninfo, desired.Conninfo);
        Compare("slot", current.SlotName, desired.SlotName);
        Compare("data directory", current.DataDirectory, desired.DataDirectory);
        Compare("bindir", current.PgBinDir, desired.PgBinDir);
        Compare("ssh host", current.SshHost, desired.SshHost);
        Compare("ssh port", current.SshPort, desired.SshPort);
        Compare("ssh user", current.SshUser, desired.SshUser);
        Compare("monitor port", current.MonitorPort, desired.MonitorPort);
        Compare("name", current.Name, desired.Name);
        return string.Join(", ", parts);
    }
}
