using PgHa.Core;
using PgHa.Operations.Service;

namespace PgHa.Operations.Monitor;

/// <summary>The monitor owns starting its server (-ManageServer), as Patroni does: see <see cref="BootRules"/>.</summary>
internal sealed partial class NodeMonitor
{
    /// <summary>
    /// At the monitor's start, when its server is stopped: learn the newest term from the members, then start
    /// it as it is (a standby, the witness), read-only (the primary of the newest term: an election makes it
    /// writable again), or not at all (a replaced primary: standby.signal in place, rejoined by the loop).
    /// </summary>
    private async Task StartStoppedServerAsync()
    {
        if (Self.DataDirectory is null || (await NodeService.GetRunningAsync(_context, SelfHost).ConfigureAwait(false)).IsRunning)
        {
            return;
        }
        await _consensus.MembersAsync(null, Ct).ConfigureAwait(false); // a member may know of a newer term than the metadata read
        BootAction action = BootRules.Decide(Self.Role, Self.Active, IsLeader);
        if (action != BootAction.Start)
        {
            await Fencing.PlaceSignalAsync(_context, SelfHost).ConfigureAwait(false);
            lock (_gate)
            {
                _fenced = true;
                _signalPlacedByMe = false;
                _mayTakeWrites = false;
            }
        }
        switch (action)
        {
            case BootAction.StayFencedForRejoin:
                _log.Info($"{Self.Name}'s server is stopped and {NameOf(_watch.LeaderId)} leads term {_watch.Term}: standby.signal is in place and the server stays stopped until it is rejoined.");
                return;
            case BootAction.StartReadOnly:
                _log.Info($"{Self.Name}'s server is stopped; it led term {_watch.Term}: starting it read-only (standby.signal), an election decides whether it is the primary again.");
                break;
            default:
                _log.Info($"{Self.Name}'s server is stopped: starting it as a {Self.Role.ToString().ToLowerInvariant()}.");
                break;
        }
        try
        {
            await NodeService.StartAsync(_context, SelfHost, null, _settings.RoleChangeTimeout).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            _log.Warning($"Starting {Self.Name}'s server failed ({ex.ErrorId}): {ex.Message}");
        }
    }
}
