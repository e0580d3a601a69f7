using System.Text.Json;
using PgHa.Core;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The one thing a monitor must not forget across a restart: the newest term it voted in and for whom.
/// A monitor that forgot could vote twice in one term, and two candidates could both win it. Written to a
/// small file (write to a temporary name, flush, rename) before the vote is answered.
/// </summary>
internal sealed class VoteBook
{
    private readonly string _path;

    private VoteBook(string path, long term, int? votedFor)
    {
        _path = path;
        Term = term;
        VotedFor = votedFor;
    }

    public string Path => _path;

    public long Term { get; private set; }

    public int? VotedFor { get; private set; }

    public static VoteBook Open(string path)
    {
        if (!File.Exists(path))
        {
            return new VoteBook(path, 0, null);
        }
        try
        {
            var saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(path), PeerJson.Options)
                ?? throw new JsonException("the file holds null");
            return new VoteBook(path, saved.Term, saved.VotedFor);
        }
        catch (JsonException ex)
        {
            throw new PgHaException(PgHaErrorIds.MonitorStateUnreadable, path,
                $"The monitor's vote record '{path}' cannot be read ({ex.Message}). It holds the last term this node voted in; " +
                "delete it only when every monitor of the cluster is stopped.", ex);
        }
    }

    /// <summary>Records a vote; durable when this returns.</summary>
    public void Record(long term, int votedFor)
    {
        string temporary = _path + ".tmp";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, new Saved(term, votedFor), PeerJson.Options);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
        Term = term;
        VotedFor = votedFor;
    }

    /// <summary>Proves at start that votes can be recorded, rather than at the first election.</summary>
    public void EnsureWritable()
    {
        try
        {
            Record(Term, VotedFor ?? 0);
            if (VotedFor is null)
            {
                VotedFor = null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PgHaException(PgHaErrorIds.MonitorStateUnwritable, _path,
                $"The monitor cannot write its vote record '{_path}' ({ex.Message}). Give -StateFile a path the monitor's user may write.", ex);
        }
    }

    private sealed record Saved(long Term, int? VotedFor);
}
