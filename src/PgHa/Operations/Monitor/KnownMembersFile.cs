using System.Text.Json;
using PgHa.Conninfo;
using PgHa.Metadata;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The members' conninfos as this monitor last read them, kept on disk so that a restarted monitor finds
/// the cluster from any member it knew, not only from the conninfo it was started with: a monitor started
/// with node1's conninfo (as the demo does) used to loop on "the metadata cannot be read yet" for as long
/// as node1 was down, so node1 was never rejoined after a whole-node loss. Registered conninfos hold no
/// password (PgHa strips them at registration), so the file holds none either.
/// </summary>
internal sealed class KnownMembersFile
{
    public KnownMembersFile(string path) => Path = path;

    public string Path { get; }

    private string? _written;

    /// <summary>
    /// Where a monitor keeps it: beside its vote record when one was named, else in the user's ~/.pgha under a
    /// name made from the node's name and the conninfos it was started with, so that monitors of two clusters
    /// on one host (sandboxes, or two clusters with a node1 each) never read each other's members.
    /// </summary>
    public static KnownMembersFile For(MonitorTarget target)
    {
        if (target.StateFile is { } stateFile)
        {
            return new KnownMembersFile(stateFile + ".members");
        }
        string name = target.NodeName ?? $"node-{target.NodeId}";
        string safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        string started = string.Join("\n", target.EntryPoints.Select(e => e.ToDisplayString()));
        string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(started)))[..12].ToLowerInvariant();
        return new KnownMembersFile(System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgha", $"monitor-{safe}-{key}.members.json"));
    }

    /// <summary>The conninfos saved last time; empty when there is no readable file.</summary>
    public IReadOnlyList<ConnectionInfo> Load()
    {
        try
        {
            if (!File.Exists(Path))
            {
                return [];
            }
            string[] saved = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path)) ?? [];
            var found = new List<ConnectionInfo>();
            foreach (string text in saved)
            {
                if (ConnectionInfo.TryParse(text, out ConnectionInfo? info, out _))
                {
                    found.Add(info);
                }
            }
            return found;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }

    /// <summary>Saves the members' conninfos when they changed; a failure only costs the next restart this help.</summary>
    public void Save(IEnumerable<NodeRecord> members, MonitorLog log)
    {
        string text = JsonSerializer.Serialize(members.Select(m => m.Conninfo).Distinct(StringComparer.Ordinal).ToArray());
        if (text == _written)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            string temporary = Path + ".tmp";
            File.WriteAllText(temporary, text);
            File.Move(temporary, Path, overwrite: true);
            _written = text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _written = text; // said once, not every refresh
            log.Warning($"Cannot keep the members' addresses in {Path} ({ex.Message}); a restarted monitor will only find the cluster from the conninfo it is given.");
        }
    }
}
