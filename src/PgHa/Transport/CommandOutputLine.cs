namespace PgHa.Transport;

/// <summary>One line a running program printed, without its line terminator.</summary>
public readonly record struct CommandOutputLine(CommandOutputStream Stream, string Text);
