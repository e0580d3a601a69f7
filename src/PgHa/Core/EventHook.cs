namespace PgHa.Core;

/// <summary>
/// What to run after each committed event (repmgr's event_notification_command): a command template
/// (see <see cref="EventCommandTemplate"/>), run with /bin/sh on the machine running PgHa, and/or a
/// callback (the cmdlets' -EventAction scriptblock), optionally only for some events (repmgr's
/// event_notifications). An operation gets it through <see cref="OperationContext.EventHook"/>; every
/// event written through <see cref="Metadata.MetadataChange"/> then reaches it once committed. A monitor
/// builds one from a node's configuration with <see cref="FromConfig"/>, or hands committed events to
/// <see cref="EventNotifier.NotifyAsync"/> itself.
/// </summary>
internal sealed class EventHook
{
    /// <summary>How long a hook command may run before it and everything it started are killed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HashSet<string> _events;

    /// <param name="command">The command template; null or empty: none.</param>
    /// <param name="action">Called with each event, awaited before the next one; null: none.</param>
    /// <param name="events">Event names to run for (exact, as repmgr compares them); null or empty: every event.</param>
    /// <param name="timeout">Deadline of each command run; <see cref="DefaultTimeout"/> when null.</param>
    public EventHook(string? command, Func<PgHaEvent, CancellationToken, Task>? action, IEnumerable<string>? events = null, TimeSpan? timeout = null)
    {
        Command = string.IsNullOrWhiteSpace(command) ? null : command;
        Action = action;
        _events = new HashSet<string>(events ?? [], StringComparer.Ordinal);
        Timeout = timeout ?? DefaultTimeout;
    }

    public string? Command { get; }

    public Func<PgHaEvent, CancellationToken, Task>? Action { get; }

    /// <summary>The event names the hook runs for; empty: every event.</summary>
    public IReadOnlySet<string> Events => _events;

    public TimeSpan Timeout { get; }

    /// <summary>Neither a command nor an action: nothing would run.</summary>
    public bool IsEmpty => Command is null && Action is null;

    public bool Matches(string eventName) => _events.Count == 0 || _events.Contains(eventName);

    /// <summary>The hook a node's configuration asks for (EventHookCommand, EventNotifications), or null when it names no command.</summary>
    public static EventHook? FromConfig(PgHaNodeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var hook = new EventHook(config.EventHookCommand, null, config.EventNotifications);
        return hook.IsEmpty ? null : hook;
    }
}
