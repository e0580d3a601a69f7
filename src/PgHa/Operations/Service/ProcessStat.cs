namespace PgHa.Operations.Service;

/// <summary>
/// Reads Linux's /proc/&lt;pid&gt;/stat: "pid (command) state ...". The command may itself hold spaces or
/// parentheses, so the state is the field after the LAST closing parenthesis.
/// </summary>
internal static class ProcessStat
{
    /// <summary>Z: the process has died and waits for its parent to reap it.</summary>
    public static bool IsZombie(string? stat) => State(stat) == 'Z';

    /// <summary>T (stopped by a signal) or t (stopped by a tracer).</summary>
    public static bool IsStopped(string? stat) => State(stat) is 'T' or 't';

    /// <summary>T only: stopped by a signal (SIGSTOP), not held by a debugger.</summary>
    public static bool IsStoppedBySignal(string? stat) => State(stat) == 'T';

    /// <summary>A live (not zombie) process whose command is postgres (the postmaster's name since PostgreSQL 10).</summary>
    public static bool IsLivePostgres(string? stat)
    {
        if (stat is null || State(stat) is null or 'Z' or 'X')
        {
            return false;
        }
        int open = stat.IndexOf('(');
        int close = stat.LastIndexOf(')');
        string command = open >= 0 && close > open ? stat[(open + 1)..close] : string.Empty;
        return command is "postgres" or "postmaster";
    }

    private static char? State(string? stat)
    {
        int close = stat?.LastIndexOf(')') ?? -1;
        return stat is not null && close >= 0 && close + 2 < stat.Length ? stat[close + 2] : null;
    }
}
