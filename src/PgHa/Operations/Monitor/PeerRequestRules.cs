using System.Net;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Who may ask what of a monitor, once <see cref="PeerSigner"/> has checked the signature: pause and resume
/// from any holder of the cluster secret (a member, or a DBA's Suspend/Resume-PgHaMonitor); votes and
/// announcements only from another registered member, from its own address, and only about itself (a
/// member asks for votes for itself and announces itself, never another node).
/// </summary>
internal static class PeerRequestRules
{
    /// <summary>Why the request is refused; null when it may be answered.</summary>
    public static string? Refusal(PeerRequest request, PeerCaller caller, MonitorMembers members)
    {
        if (!caller.Signed)
        {
            return $"an unsigned '{request.Op}' request is refused: sign it with the cluster secret";
        }
        switch (request.Op)
        {
            case PeerRequest.PauseOp or PeerRequest.ResumeOp:
                return null;
            case PeerRequest.VoteOp or PeerRequest.AnnounceOp:
                IPAddress address = caller.Address.IsIPv4MappedToIPv6 ? caller.Address.MapToIPv4() : caller.Address;
                if (!members.IsMemberAddress(address))
                {
                    return $"{address} is not the address of a registered member: only members vote and announce";
                }
                if (caller.NodeId == members.Self.Id || members.ById(caller.NodeId) is null)
                {
                    return $"the sender, node {caller.NodeId}, is not another registered member";
                }
                if (request.NodeId != caller.NodeId)
                {
                    return request.Op == PeerRequest.VoteOp
                        ? $"node {caller.NodeId} asked for votes for node {request.NodeId}: a member asks for itself only"
                        : $"node {caller.NodeId} announced node {request.NodeId}: a member announces itself only";
                }
                return null;
            default:
                return $"unknown request '{request.Op}'";
        }
    }
}
