using System.Management.Automation;
using PgHa.Core;

namespace PgHa.Cmdlets;

/// <summary>
/// Base of the cmdlets that write events (register, unregister, clone, switchover, promote, follow,
/// rejoin): the event hook, given per call with -EventCommand / -EventAction or once per session in
/// $PgHaEventCommand / $PgHaEventAction. It derives from <see cref="PgHaHostCmdlet"/> because all of them
/// but Unregister-PgHaNode reach nodes' hosts; C# has one base class, and the service cmdlets, which
/// write no events, must not offer a hook that would never run.
/// </summary>
public abstract class PgHaEventCmdlet : PgHaHostCmdlet
{
    /// <summary>The session variable a runbook sets once instead of passing -EventCommand to each call.</summary>
    public const string CommandVariable = "PgHaEventCommand";

    /// <summary>The session variable a runbook sets once instead of passing -EventAction to each call.</summary>
    public const string ActionVariable = "PgHaEventAction";

    /// <summary>
    /// Command template run with /bin/sh on this machine after each event is committed: %n node id, %a node
    /// name, %e event, %s 1/0, %t time, %d details, %% a literal %. '' turns off $PgHaEventCommand for this call.
    /// </summary>
    [Parameter]
    [AllowEmptyString]
    public string? EventCommand { get; set; }

    /// <summary>Scriptblock run in this session after each event is committed, with the event ($_ and $args[0]) as Get-PgHaEvent outputs it.</summary>
    [Parameter]
    [AllowNull]
    public ScriptBlock? EventAction { get; set; }

    private protected override EventHook? EventHookFor(PipelineReporter reporter)
    {
        string? command = MyInvocation.BoundParameters.ContainsKey(nameof(EventCommand))
            ? EventCommand
            : SessionVariable<string>(CommandVariable);
        ScriptBlock? action = MyInvocation.BoundParameters.ContainsKey(nameof(EventAction))
            ? EventAction
            : SessionVariable<ScriptBlock>(ActionVariable);
        var hook = new EventHook(command, action is null ? null : OnPipelineThread(reporter, action));
        return hook.IsEmpty ? null : hook;
    }

    /// <summary>The engine's callback for a scriptblock: the call is handed to the pipeline thread and awaited there.</summary>
    private static Func<PgHaEvent, CancellationToken, Task> OnPipelineThread(PipelineReporter reporter, ScriptBlock action) =>
        (e, ct) => reporter.RunOnPipelineThreadAsync(() => action.InvokeWithContext(null, [new PSVariable("_", e)], e)).WaitAsync(ct);

    /// <summary>A session variable's value as <typeparamref name="T"/>, null when unset or $null; another type ends the call.</summary>
    private T? SessionVariable<T>(string name) where T : class
    {
        object? value = SessionState.PSVariable.GetValue(name);
        if (value is PSObject wrapped)
        {
            value = wrapped.BaseObject;
        }
        if (value is null or T)
        {
            return (T?)value;
        }
        throw new PgHaException(PgHaErrorIds.EventHookInvalid, name,
            $"${name} holds a {value.GetType().Name}; it must be a {(typeof(T) == typeof(string) ? "command template string" : "scriptblock")}. Set it to one, or remove it (Remove-Variable {name}).");
    }
}
