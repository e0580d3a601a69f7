using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgHa.Core;

namespace PgHa.Etcd;

/// <summary>
/// One PgHa cluster's keys in etcd, under its prefix (Patroni's layout): PREFIX/leader (node and cluster id,
/// on the leader's lease; created only when absent), PREFIX/members/ID (each member's published state on a
/// lease of its own), PREFIX/config (the cluster's settings) and PREFIX/pause (present while paused).
/// Every call is one etcd request (two for the leader with its TTL) and throws PgHaEtcdUnreachable when etcd
/// cannot decide; "the key is held by another" is an answer (EtcdLeaderClaim), not an error.
/// </summary>
internal sealed class EtcdClusterStore
{
    private readonly EtcdClient _client;

    public EtcdClusterStore(EtcdClient client, string prefix, string clusterId)
    {
        string trimmed = NormalizePrefix(prefix);
        if (string.IsNullOrWhiteSpace(clusterId))
        {
            throw EtcdClientSettings.Invalid("The cluster id is empty: the leader key names its cluster so that a previous cluster's key under the same prefix is recognised.");
        }
        _client = client;
        Prefix = trimmed;
        ClusterId = clusterId;
    }

    public string Prefix { get; }

    /// <summary>The prefix as keys are made from it ("/pgha/c1/" is "/pgha/c1"); PgHaEtcdInvalidSettings unless it is a key path.</summary>
    public static string NormalizePrefix(string prefix)
    {
        string trimmed = prefix.Trim().TrimEnd('/');
        if (trimmed.Length == 0 || !trimmed.StartsWith('/') || trimmed.Any(char.IsWhiteSpace))
        {
            throw EtcdClientSettings.Invalid($"The etcd prefix '{prefix}' is not a key path. Give one such as /pgha/CLUSTER (starting with '/', no spaces), the same on every node of the cluster.");
        }
        return trimmed;
    }

    public string ClusterId { get; }

    public string LeaderKey => Prefix + "/leader";

    public string MembersPrefix => Prefix + "/members/";

    public string SettingsKey => Prefix + "/config";

    public string PauseKey => Prefix + "/pause";

    public async Task<EtcdLease> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        long sent = Stopwatch.GetTimestamp();
        JsonElement answer = await _client.CallAsync("/v3/lease/grant", EtcdJson.LeaseGrant(ttl), cancellationToken);
        // etcd may raise a TTL below its minimum (1.5 election timeouts); the answer says what it granted.
        return new EtcdLease(EtcdJson.ReadInt64(answer, "ID"), TimeSpan.FromSeconds(EtcdJson.ReadInt64(answer, "TTL")), sent);
    }

    /// <summary>The renewed lease, or null when etcd no longer knows it (its TTL passed, or it was revoked).</summary>
    public async Task<EtcdLease?> KeepAliveAsync(EtcdLease lease, CancellationToken cancellationToken)
    {
        long sent = Stopwatch.GetTimestamp();
        JsonElement answer = await _client.CallAsync("/v3/lease/keepalive", EtcdJson.LeaseId(lease.Id), cancellationToken);
        long ttl = EtcdJson.KeepAliveTtl(answer);
        return ttl > 0 ? lease with { Ttl = TimeSpan.FromSeconds(ttl), GrantedAt = sent } : null;
    }

    /// <summary>Ends the lease and deletes every key on it. False when it had ended already.</summary>
    public async Task<bool> RevokeLeaseAsync(EtcdLease lease, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CallAsync("/v3/lease/revoke", EtcdJson.LeaseId(lease.Id), cancellationToken);
            return true;
        }
        catch (PgHaException exception) when (exception.ErrorId == PgHaErrorIds.EtcdLeaseNotFound)
        {
            return false;
        }
    }

    /// <summary>How long etcd says the lease has left; null when it has ended.</summary>
    public async Task<TimeSpan?> TimeToLiveAsync(long lease, CancellationToken cancellationToken)
    {
        JsonElement answer = await _client.CallAsync("/v3/lease/timetolive", EtcdJson.LeaseId(lease), cancellationToken);
        long ttl = EtcdJson.ReadInt64(answer, "TTL");
        return ttl >= 0 && (ttl > 0 || EtcdJson.ReadInt64(answer, "grantedTTL") > 0) ? TimeSpan.FromSeconds(ttl) : null;
    }

    /// <summary>Publishes a member's state on its lease: the key goes when the member stops renewing.</summary>
    public async Task PublishMemberAsync(string memberId, string state, EtcdLease lease, CancellationToken cancellationToken)
    {
        ValidateMemberId(memberId);
        await _client.CallAsync("/v3/kv/put", EtcdJson.Put(MembersPrefix + memberId, state, lease.Id), cancellationToken);
    }

    public async Task RemoveMemberAsync(string memberId, CancellationToken cancellationToken)
    {
        ValidateMemberId(memberId);
        await _client.CallAsync("/v3/kv/deleterange", EtcdJson.DeleteRange(MembersPrefix + memberId), cancellationToken);
    }

    /// <summary>Every published member (in key order) and the revision they were read at.</summary>
    public async Task<(long Revision, IReadOnlyList<EtcdMember> Members)> ReadMembersAsync(CancellationToken cancellationToken)
    {
        JsonElement answer = await _client.CallAsync("/v3/kv/range", EtcdJson.RangePrefix(MembersPrefix), cancellationToken);
        return (EtcdJson.Revision(answer), EtcdJson.KeyValues(answer).Select(ToMember).ToList());
    }

    /// <summary>
    /// Takes the leader key for the node on its lease, only if no key exists (create_revision == 0), in one
    /// transaction: of two candidates at the same moment exactly one succeeds. Not held: Holder says who has it.
    /// </summary>
    public Task<EtcdLeaderClaim> TryTakeLeaderAsync(string nodeName, EtcdLease lease, CancellationToken cancellationToken) =>
        TryTakeLeaderAsync(nodeName, null, lease, cancellationToken);

    /// <summary>As above, with the election term the node leads written into the key's value (the monitor's way).</summary>
    public async Task<EtcdLeaderClaim> TryTakeLeaderAsync(string nodeName, long? term, EtcdLease lease, CancellationToken cancellationToken)
    {
        string value = EtcdJson.LeaderValue(nodeName, ClusterId, term);
        JsonObject txn = EtcdJson.Txn(
            [EtcdJson.CompareAbsent(LeaderKey)],
            [EtcdJson.RequestPut(EtcdJson.Put(LeaderKey, value, lease.Id))],
            [EtcdJson.RequestRange(EtcdJson.Range(LeaderKey))]);
        JsonElement answer = await _client.CallAsync("/v3/kv/txn", txn, cancellationToken);
        (bool succeeded, IReadOnlyList<JsonElement> ranges) = EtcdJson.TxnResult(answer);
        if (succeeded)
        {
            return new EtcdLeaderClaim(true, new EtcdLeaderRecord(nodeName, ClusterId, lease.Id, EtcdJson.Revision(answer), lease.Ttl) { Term = term }, lease);
        }
        EtcdLeaderRecord? holder = ranges.Count > 0 ? ToLeader(EtcdJson.KeyValues(ranges[0])) : null;
        // A retried request whose first try went through finds its own key: that is a success too.
        bool ours = holder is not null && IsOurs(holder, nodeName, lease) && holder.Term == term;
        return new EtcdLeaderClaim(ours, holder, ours ? lease : null);
    }

    /// <summary>
    /// Keeps the leader's lease alive and checks in one transaction that the key still names this node on
    /// this lease. Not held when the lease ended (Holder null, or whoever took the key since) or the key is another's.
    /// </summary>
    public Task<EtcdLeaderClaim> RenewLeaderAsync(string nodeName, EtcdLease lease, CancellationToken cancellationToken) =>
        RenewLeaderAsync(nodeName, null, lease, cancellationToken);

    /// <summary>As above, for a key that names <paramref name="term"/> too: a key of another term is not this node's to renew.</summary>
    public async Task<EtcdLeaderClaim> RenewLeaderAsync(string nodeName, long? term, EtcdLease lease, CancellationToken cancellationToken)
    {
        EtcdLease? renewed = await KeepAliveAsync(lease, cancellationToken);
        JsonObject txn = EtcdJson.Txn(
            [EtcdJson.CompareValue(LeaderKey, EtcdJson.LeaderValue(nodeName, ClusterId, term)), EtcdJson.CompareLease(LeaderKey, lease.Id)],
            [EtcdJson.RequestRange(EtcdJson.Range(LeaderKey))],
            [EtcdJson.RequestRange(EtcdJson.Range(LeaderKey))]);
        JsonElement answer = await _client.CallAsync("/v3/kv/txn", txn, cancellationToken);
        (bool succeeded, IReadOnlyList<JsonElement> ranges) = EtcdJson.TxnResult(answer);
        EtcdLeaderRecord? holder = ranges.Count > 0 ? ToLeader(EtcdJson.KeyValues(ranges[0])) : null;
        bool held = succeeded && renewed is not null;
        return new EtcdLeaderClaim(held, holder is null ? null : holder with { TtlLeft = held ? renewed!.Ttl : null }, held ? renewed : null);
    }

    /// <summary>
    /// Deletes the leader key only if it is still this node's on this lease. False when it was not ours (or gone),
    /// which includes a first try whose answer was lost after it deleted the key: either way the key is not ours now.
    /// </summary>
    public Task<bool> ResignLeaderAsync(string nodeName, EtcdLease lease, CancellationToken cancellationToken) =>
        ResignLeaderAsync(nodeName, null, lease, cancellationToken);

    /// <summary>As above, for a key that names <paramref name="term"/> too.</summary>
    public async Task<bool> ResignLeaderAsync(string nodeName, long? term, EtcdLease lease, CancellationToken cancellationToken)
    {
        JsonObject txn = EtcdJson.Txn(
            [EtcdJson.CompareValue(LeaderKey, EtcdJson.LeaderValue(nodeName, ClusterId, term)), EtcdJson.CompareLease(LeaderKey, lease.Id)],
            [EtcdJson.RequestDeleteRange(EtcdJson.DeleteRange(LeaderKey))],
            []);
        JsonElement answer = await _client.CallAsync("/v3/kv/txn", txn, cancellationToken);
        return EtcdJson.TxnResult(answer).Succeeded;
    }

    /// <summary>The leader key with the TTL its lease has left (null TTL: a key on no lease, which never ends by itself); null when absent.</summary>
    public async Task<EtcdLeaderRecord?> ReadLeaderAsync(CancellationToken cancellationToken)
    {
        JsonElement answer = await _client.CallAsync("/v3/kv/range", EtcdJson.Range(LeaderKey), cancellationToken);
        EtcdLeaderRecord? leader = ToLeader(EtcdJson.KeyValues(answer));
        if (leader is null || leader.Lease == 0)
        {
            return leader;
        }
        return leader with { TtlLeft = await TimeToLiveAsync(leader.Lease, cancellationToken) };
    }

    /// <summary>
    /// Puts this node's key (naming <paramref name="term"/>) in the place of <paramref name="older"/>, only if the
    /// key has not changed since it was read. The monitor does this for a key of an OLDER term of this cluster when
    /// the metadata records this node as the primary of a newer one (a switchover or Invoke-PgHaPromote, decided
    /// outside an election): the old holder's renewals fail from here, so its own lease timer fences it.
    /// False, and nothing changed, when <paramref name="older"/> is not an older term's key of this cluster, or when
    /// the key changed or went meanwhile (then create it, or find who holds it now).
    /// </summary>
    public async Task<bool> ReplaceLeaderAsync(EtcdLeaderRecord older, string nodeName, long term, EtcdLease lease, CancellationToken cancellationToken)
    {
        if (older.IsStaleFor(ClusterId) || older.Term is not { } olderTerm || olderTerm >= term)
        {
            return false;
        }
        JsonObject txn = EtcdJson.Txn(
            [EtcdJson.CompareModRevision(LeaderKey, older.ModRevision)],
            [EtcdJson.RequestPut(EtcdJson.Put(LeaderKey, EtcdJson.LeaderValue(nodeName, ClusterId, term), lease.Id))],
            []);
        JsonElement answer = await _client.CallAsync("/v3/kv/txn", txn, cancellationToken);
        return EtcdJson.TxnResult(answer).Succeeded;
    }

    /// <summary>
    /// Deletes a leader key left by another cluster (IsStaleFor this one), only if it has not changed since it
    /// was read: a key of this cluster is never removed this way. False when it changed or went meanwhile.
    /// </summary>
    public async Task<bool> RemoveStaleLeaderAsync(EtcdLeaderRecord stale, CancellationToken cancellationToken)
    {
        if (!stale.IsStaleFor(ClusterId))
        {
            throw new PgHaException(PgHaErrorIds.EtcdLeaderHeldByAnother, LeaderKey,
                $"The leader key {LeaderKey} names node {stale.NodeName} of this cluster ({ClusterId}); it is not stale. Wait for its lease to end instead.");
        }
        JsonObject txn = EtcdJson.Txn(
            [EtcdJson.CompareModRevision(LeaderKey, stale.ModRevision)],
            [EtcdJson.RequestDeleteRange(EtcdJson.DeleteRange(LeaderKey))],
            []);
        JsonElement answer = await _client.CallAsync("/v3/kv/txn", txn, cancellationToken);
        return EtcdJson.TxnResult(answer).Succeeded;
    }

    public async Task WriteSettingsAsync(string settings, CancellationToken cancellationToken) =>
        await _client.CallAsync("/v3/kv/put", EtcdJson.Put(SettingsKey, settings, 0), cancellationToken);

    public async Task<string?> ReadSettingsAsync(CancellationToken cancellationToken)
    {
        JsonElement answer = await _client.CallAsync("/v3/kv/range", EtcdJson.Range(SettingsKey), cancellationToken);
        return EtcdJson.KeyValues(answer) is [EtcdKeyValue kv, ..] ? kv.Value : null;
    }

    /// <summary>Pauses (the key exists, naming who paused and why) or resumes (the key is deleted) the monitors.</summary>
    public async Task SetPausedAsync(bool paused, string reason, CancellationToken cancellationToken)
    {
        if (paused)
        {
            await _client.CallAsync("/v3/kv/put", EtcdJson.Put(PauseKey, reason, 0), cancellationToken);
        }
        else
        {
            await _client.CallAsync("/v3/kv/deleterange", EtcdJson.DeleteRange(PauseKey), cancellationToken);
        }
    }

    /// <summary>The pause key's mod revision (each write of it has its own), or null when there is no pause key.</summary>
    public async Task<long?> ReadPauseRevisionAsync(CancellationToken cancellationToken)
    {
        JsonElement answer = await _client.CallAsync("/v3/kv/range", EtcdJson.Range(PauseKey), cancellationToken);
        return EtcdJson.KeyValues(answer) is [EtcdKeyValue kv, ..] ? kv.ModRevision : null;
    }

    /// <summary>Everything under the prefix at one revision, in one range request (the leader's TTL is not read here).</summary>
    public async Task<EtcdClusterView> ReadClusterAsync(CancellationToken cancellationToken)
    {
        JsonElement answer = await _client.CallAsync("/v3/kv/range", EtcdJson.RangePrefix(Prefix + "/"), cancellationToken);
        IReadOnlyList<EtcdKeyValue> keys = EtcdJson.KeyValues(answer);
        return ToView(EtcdJson.Revision(answer), keys);
    }

    /// <summary>Sorts the keys of one prefix range into the view; keys PgHa does not know are left out.</summary>
    internal EtcdClusterView ToView(long revision, IReadOnlyList<EtcdKeyValue> keys)
    {
        EtcdLeaderRecord? leader = ToLeader(keys.Where(k => k.Key == LeaderKey).ToList());
        var members = keys.Where(k => k.Key.StartsWith(MembersPrefix, StringComparison.Ordinal) && k.Key.Length > MembersPrefix.Length)
            .Select(ToMember).ToList();
        string? settings = keys.FirstOrDefault(k => k.Key == SettingsKey)?.Value;
        long? pauseRevision = keys.FirstOrDefault(k => k.Key == PauseKey)?.ModRevision;
        return new EtcdClusterView(revision, leader, members, settings, pauseRevision is not null, pauseRevision);
    }

    private EtcdMember ToMember(EtcdKeyValue kv) =>
        new(kv.Key[MembersPrefix.Length..], kv.Value, kv.Lease, kv.CreateRevision, kv.ModRevision);

    private static EtcdLeaderRecord? ToLeader(IReadOnlyList<EtcdKeyValue> keys)
    {
        if (keys.Count == 0)
        {
            return null;
        }
        EtcdKeyValue kv = keys[0];
        (string node, string cluster) = EtcdJson.ParseLeaderValue(kv.Value);
        return new EtcdLeaderRecord(node, cluster, kv.Lease, kv.ModRevision, null) { Term = EtcdJson.ParseLeaderTerm(kv.Value) };
    }

    private bool IsOurs(EtcdLeaderRecord holder, string nodeName, EtcdLease lease) =>
        holder.Lease == lease.Id && holder.NodeName == nodeName && !holder.IsStaleFor(ClusterId);

    private static void ValidateMemberId(string memberId)
    {
        if (string.IsNullOrEmpty(memberId) || memberId.Contains('/'))
        {
            throw EtcdClientSettings.Invalid($"The member id '{memberId}' cannot be a key name: give a non-empty id without '/'.");
        }
    }
}
