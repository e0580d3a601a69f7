using PgHa.Core;

namespace PgHa.Operations.Switchovers;

/// <summary>
/// What a switchover that promoted its candidate returns: the result to output and, when the old primary did
/// not rejoin, the error to write beside it (the switchover has happened; the rejoin is left to the operator).
/// </summary>
internal sealed record SwitchoverOutcome(PgHaSwitchover Result, PgHaException? RejoinFailure);
