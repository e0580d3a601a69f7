using System.Globalization;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Transport;

namespace PgHa.Metadata;

/// <summary>
/// Runs the operation's event hook for events that are committed, one event after another, the command
/// before the action. A hook that fails, times out or cannot start is a warning and nothing more: the
/// event and the change it records are done, and a pooler or VIP script must never undo or break them.
/// </summary>
internal static class EventNotifier
{
    private const string Shell = "/bin/sh";

    // Enough of a failing script's output to say why, short enough for one warning line.
    private const int OutputTailLength = 400;

    /// <summary>Runs <see cref="OperationContext.EventHook"/> for each of <paramref name="committed"/> it matches. Never throws.</summary>
    public static async Task NotifyAsync(OperationContext context, IReadOnlyList<EventRecord> committed)
    {
        EventHook? hook = context.EventHook;
        if (hook is null || hook.IsEmpty)
        {
            return;
        }
        foreach (EventRecord record in committed.Where(e => hook.Matches(e.Event)))
        {
            PgHaEvent e = record.ToPgHaEvent();
            if (context.CancellationToken.IsCancellationRequested)
            {
                context.Reporter.Warning($"The event hook was not run for {Describe(e)}: the command was stopped.");
                continue;
            }
            await RunHookAsync(context, hook, e).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one hook for one event: its command, then its action. Never throws.</summary>
    public static async Task RunHookAsync(OperationContext context, EventHook hook, PgHaEvent e)
    {
        if (hook.Command is not null)
        {
            await RunCommandAsync(context, hook, e).ConfigureAwait(false);
        }
        if (hook.Action is not null)
        {
            await RunActionAsync(context, hook.Action, e).ConfigureAwait(false);
        }
    }

    private static async Task RunCommandAsync(OperationContext context, EventHook hook, PgHaEvent e)
    {
        string what = $"The event hook command for {Describe(e)}";
        // The template itself is not shown: it may carry a token for the script it calls.
        context.Reporter.Verbose($"Running the event hook command for {Describe(e)}.");
        // As the user running PgHa, never switched to postgres: moving a VIP or telling a pooler is that
        // user's business, and LocalTransport switches only when asked for another user.
        var transport = new LocalTransport(Environment.UserName);
        string[] arguments = ["-c", EventCommandTemplate.ToScript(hook.Command!), EventCommandTemplate.ShellName, .. EventCommandTemplate.Arguments(e)];
        try
        {
            CommandResult result = await transport.RunAsync(Shell, arguments, new CommandOptions { Timeout = hook.Timeout }, context.CancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                context.Reporter.Verbose($"{what} succeeded in {result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s{OutputTail(result)}.");
            }
            else
            {
                context.Reporter.Warning($"{what} failed with exit code {result.ExitCode}{OutputTail(result)}. The event is recorded; only the hook failed.");
            }
        }
        catch (TimeoutException)
        {
            context.Reporter.Warning($"{what} did not finish within {hook.Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s and was killed, with every process it started. The event is recorded; only the hook failed.");
        }
        catch (OperationCanceledException)
        {
            context.Reporter.Warning($"{what} was killed: the command was stopped.");
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            context.Reporter.Warning($"{what} could not be started: {ex.Message}");
        }
    }

    private static async Task RunActionAsync(OperationContext context, Func<PgHaEvent, CancellationToken, Task> action, PgHaEvent e)
    {
        try
        {
            await action(e, context.CancellationToken).ConfigureAwait(false);
            context.Reporter.Verbose($"The event action for {Describe(e)} finished.");
        }
        catch (Exception ex) // Whatever the action throws is its own failure, reported; it must not reach the operation.
        {
            context.Reporter.Warning($"The event action for {Describe(e)} failed: {ex.Message.TrimEnd('.')}. The event is recorded; only the hook failed.");
        }
    }

    private static string Describe(PgHaEvent e) => $"{e.Event} of node '{e.NodeName}' (id {e.NodeId.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>The end of what the command printed (standard error when it wrote any), on one line; empty when it printed nothing.</summary>
    private static string OutputTail(CommandResult result)
    {
        string text = (string.IsNullOrWhiteSpace(result.StandardError) ? result.StandardOutput : result.StandardError).Trim();
        if (text.Length == 0)
        {
            return string.Empty;
        }
        if (text.Length > OutputTailLength)
        {
            text = "..." + text[^OutputTailLength..];
        }
        return $" (output: {text.ReplaceLineEndings(" | ")})";
    }
}
