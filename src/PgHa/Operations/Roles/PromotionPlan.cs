using PgHa.Conninfo;
using PgHa.Metadata;

namespace PgHa.Operations.Roles;

/// <summary>
/// What Invoke-PgHaPromote found before changing anything: the standby to promote, the primary it
/// replaces (null when none is registered), whether that primary still answered as a primary, and the
/// standbys that stream from it (the ones -SiblingsFollow moves).
/// </summary>
internal sealed record PromotionPlan(
    NodeRecord Node,
    ConnectionInfo NodeConninfo,
    NodeRecord? OldPrimary,
    string? UpstreamBefore,
    bool OldPrimaryRunning,
    bool AlreadyPrimary,
    bool InRecovery,
    int? Timeline,
    IReadOnlyList<NodeRecord> Siblings);
