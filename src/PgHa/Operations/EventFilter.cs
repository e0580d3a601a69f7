using System.Management.Automation;

namespace PgHa.Operations;

/// <summary>Which events Get-PgHaEvent returns. Null lists mean "any".</summary>
internal sealed record EventFilter(
    IReadOnlyList<WildcardPattern>? NodeNames,
    IReadOnlyList<int>? NodeIds,
    IReadOnlyList<WildcardPattern>? Events,
    DateTimeOffset? After,
    DateTimeOffset? Before,
    bool? Successful,
    int Limit);
