using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgHa.Etcd;

/// <summary>
/// The JSON of etcd's gRPC gateway (the v3 API over HTTP on the client port). Its quirks, all from the
/// protobuf JSON mapping: keys and values are base64, 64-bit numbers (revisions, lease ids, TTLs) are
/// strings, and fields at their default value are left out (no "succeeded" when a txn failed, no "TTL"
/// when a keepalive found no lease, no "kvs" when a range found nothing).
/// </summary>
internal static class EtcdJson
{
    public static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static string Decode(string? base64) => base64 is null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    /// <summary>The end of a range over every key that starts with the prefix: the prefix with its last byte plus one.</summary>
    public static string RangeEndOf(string prefix)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(prefix);
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return Convert.ToBase64String(bytes, 0, i + 1);
            }
        }
        return Convert.ToBase64String([0]); // "\0" means every key after the start
    }

    public static long ReadInt64(JsonElement parent, string name)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out JsonElement value))
        {
            return 0;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => long.Parse(value.GetString()!, NumberStyles.Integer, CultureInfo.InvariantCulture),
            JsonValueKind.Number => value.GetInt64(),
            _ => 0,
        };
    }

    public static bool ReadBoolean(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.True;

    public static JsonObject Range(string key) => new() { ["key"] = Encode(key) };

    public static JsonObject RangePrefix(string prefix) => new() { ["key"] = Encode(prefix), ["range_end"] = RangeEndOf(prefix) };

    public static JsonObject Put(string key, string value, long lease)
    {
        var put = new JsonObject { ["key"] = Encode(key), ["value"] = Encode(value) };
        if (lease != 0)
        {
            put["lease"] = Id(lease);
        }
        return put;
    }

    public static JsonObject DeleteRange(string key) => new() { ["key"] = Encode(key) };

    public static JsonObject LeaseGrant(TimeSpan ttl) => new() { ["TTL"] = Id((long)Math.Ceiling(ttl.TotalSeconds)) };

    public static JsonObject LeaseId(long lease) => new() { ["ID"] = Id(lease) };

    /// <summary>A compare that the key does not exist (etcd's create_revision of an absent key is 0).</summary>
    public static JsonObject CompareAbsent(string key) =>
        new() { ["key"] = Encode(key), ["target"] = "CREATE", ["result"] = "EQUAL", ["create_revision"] = "0" };

    public static JsonObject CompareValue(string key, string value) =>
        new() { ["key"] = Encode(key), ["target"] = "VALUE", ["result"] = "EQUAL", ["value"] = Encode(value) };

    public static JsonObject CompareLease(string key, long lease) =>
        new() { ["key"] = Encode(key), ["target"] = "LEASE", ["result"] = "EQUAL", ["lease"] = Id(lease) };

    public static JsonObject CompareModRevision(string key, long revision) =>
        new() { ["key"] = Encode(key), ["target"] = "MOD", ["result"] = "EQUAL", ["mod_revision"] = Id(revision) };

    /// <summary>A transaction: when every compare holds, the success operations run, otherwise the failure ones.</summary>
    public static JsonObject Txn(IEnumerable<JsonObject> compares, IEnumerable<JsonObject> success, IEnumerable<JsonObject> failure) => new()
    {
        ["compare"] = new JsonArray([.. compares]),
        ["success"] = new JsonArray([.. success]),
        ["failure"] = new JsonArray([.. failure]),
    };

    public static JsonObject RequestRange(JsonObject range) => new() { ["request_range"] = range };

    public static JsonObject RequestPut(JsonObject put) => new() { ["request_put"] = put };

    public static JsonObject RequestDeleteRange(JsonObject delete) => new() { ["request_delete_range"] = delete };

    /// <summary>The revision of the store when the member answered (every response has a header).</summary>
    public static long Revision(JsonElement response) =>
        response.TryGetProperty("header", out JsonElement header) ? ReadInt64(header, "revision") : 0;

    public static IReadOnlyList<EtcdKeyValue> KeyValues(JsonElement rangeResponse)
    {
        if (!rangeResponse.TryGetProperty("kvs", out JsonElement kvs) || kvs.ValueKind != JsonValueKind.Array)
        {
            return [];
        }
        var list = new List<EtcdKeyValue>(kvs.GetArrayLength());
        foreach (JsonElement kv in kvs.EnumerateArray())
        {
            list.Add(new EtcdKeyValue(
                Decode(kv.TryGetProperty("key", out JsonElement k) ? k.GetString() : null),
                Decode(kv.TryGetProperty("value", out JsonElement v) ? v.GetString() : null),
                ReadInt64(kv, "create_revision"),
                ReadInt64(kv, "mod_revision"),
                ReadInt64(kv, "version"),
                ReadInt64(kv, "lease")));
        }
        return list;
    }

    /// <summary>Whether the compares held, and the range responses of the branch that ran, in order.</summary>
    public static (bool Succeeded, IReadOnlyList<JsonElement> Ranges) TxnResult(JsonElement txnResponse)
    {
        var ranges = new List<JsonElement>();
        if (txnResponse.TryGetProperty("responses", out JsonElement responses) && responses.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement response in responses.EnumerateArray())
            {
                if (response.TryGetProperty("response_range", out JsonElement range))
                {
                    ranges.Add(range);
                }
            }
        }
        return (ReadBoolean(txnResponse, "succeeded"), ranges);
    }

    /// <summary>
    /// A keepalive answer: the gateway wraps each streamed message in "result" (or "error"). A lease etcd no
    /// longer knows comes back without a TTL: 0 here.
    /// </summary>
    public static long KeepAliveTtl(JsonElement keepAliveResponse) =>
        keepAliveResponse.TryGetProperty("result", out JsonElement result) ? ReadInt64(result, "TTL") : ReadInt64(keepAliveResponse, "TTL");

    /// <summary>
    /// The gRPC status in an error answer, or null when the answer is not an error. Unary calls answer
    /// {"error": text, "code": n, "message": text}; streamed ones {"error": {"grpc_code": n, "message": text}}.
    /// </summary>
    public static EtcdStatus? Error(JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("error", out JsonElement error))
        {
            return null;
        }
        if (error.ValueKind == JsonValueKind.Object)
        {
            return new EtcdStatus((int)ReadInt64(error, "grpc_code"), error.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? "" : "");
        }
        string message = response.TryGetProperty("message", out JsonElement text) ? text.GetString() ?? "" : error.GetString() ?? "";
        return new EtcdStatus((int)ReadInt64(response, "code"), message);
    }

    /// <summary>
    /// The leader key's value: the node that holds it, the id of the cluster it leads and, when the monitor took
    /// it, the election term it leads (so that a key of an older term is told from the holder of a newer one).
    /// </summary>
    public static string LeaderValue(string nodeName, string clusterId, long? term = null)
    {
        var value = new JsonObject { ["node"] = nodeName, ["cluster"] = clusterId };
        if (term is { } t)
        {
            value["term"] = t;
        }
        return value.ToJsonString();
    }

    /// <summary>The term a leader value names; null when it names none (a key written without one, or not PgHa's).</summary>
    public static long? ParseLeaderTerm(string value)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(value);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("term", out JsonElement term)
                && term.ValueKind == JsonValueKind.Number && term.TryGetInt64(out long t) ? t : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads a leader value. Anything that is not PgHa's JSON (another tool's key, a hand-written one) reads
    /// as a node named by the raw text with an empty cluster id: stale for every cluster, never mistaken for ours.
    /// </summary>
    public static (string NodeName, string ClusterId) ParseLeaderValue(string value)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(value);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("node", out JsonElement node) && node.ValueKind == JsonValueKind.String
                && root.TryGetProperty("cluster", out JsonElement cluster) && cluster.ValueKind == JsonValueKind.String)
            {
                return (node.GetString()!, cluster.GetString()!);
            }
        }
        catch (JsonException)
        {
        }
        return (value, "");
    }

    private static string Id(long value) => value.ToString(CultureInfo.InvariantCulture);
}
