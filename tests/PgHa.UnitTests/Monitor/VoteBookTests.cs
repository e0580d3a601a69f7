using System.Management.Automation;
using System.Text.Json;
using PgHa.Core;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>The monitor's vote record: durable, read back after a restart, never silently reset.</summary>
public sealed class VoteBookTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pgha-votebook-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string StateFile => Path.Combine(_directory, "node2.pgha-monitor.json");

    [Fact]
    public void AMissingFileMeansNoVoteYetAndIsNotCreatedByOpening()
    {
        VoteBook book = VoteBook.Open(StateFile);
        Assert.Equal(0, book.Term);
        Assert.Null(book.VotedFor);
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public void ARecordedVoteIsKeptAndReadBack()
    {
        VoteBook book = VoteBook.Open(StateFile);
        book.Record(term: 5, votedFor: 3);
        Assert.Equal(5, book.Term);
        Assert.Equal(3, book.VotedFor);

        VoteBook reopened = VoteBook.Open(StateFile);
        Assert.Equal(5, reopened.Term);
        Assert.Equal(3, reopened.VotedFor);
    }

    [Fact]
    public void TheLatestVoteReplacesTheOldOneWithoutLeavingATemporaryFile()
    {
        VoteBook book = VoteBook.Open(StateFile);
        book.Record(5, 3);
        book.Record(6, 2);

        VoteBook reopened = VoteBook.Open(StateFile);
        Assert.Equal(6, reopened.Term);
        Assert.Equal(2, reopened.VotedFor);
        Assert.Equal([StateFile], Directory.GetFiles(_directory));
    }

    [Fact]
    public void TheFolderIsCreatedWhenMissing()
    {
        string nested = Path.Combine(_directory, "a", "b", "vote.json");
        VoteBook.Open(nested).Record(2, 1);
        Assert.True(File.Exists(nested));
    }

    [Fact]
    public void TheFileIsSmallJson()
    {
        VoteBook.Open(StateFile).Record(9, 4);
        using JsonDocument saved = JsonDocument.Parse(File.ReadAllText(StateFile));
        Assert.Equal(9, saved.RootElement.GetProperty("term").GetInt64());
        Assert.Equal(4, saved.RootElement.GetProperty("votedFor").GetInt32());
    }

    [Fact]
    public void AnUnreadableFileIsAnErrorNotAnEmptyRecord()
    {
        // Reading it as "no vote" could let the monitor vote twice in one term.
        Directory.CreateDirectory(_directory);
        File.WriteAllText(StateFile, "this is not JSON");
        var ex = Assert.Throws<PgHaException>(() => VoteBook.Open(StateFile));
        Assert.Equal("PgHaMonitorStateUnreadable", ex.ErrorId);
        Assert.Equal(ErrorCategory.InvalidData, ex.Category);
        Assert.Equal(StateFile, ex.Target);
        Assert.Contains("every monitor of the cluster is stopped", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedFileIsAnErrorToo()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(StateFile, "{\"term\":7,\"voted");
        Assert.Equal("PgHaMonitorStateUnreadable", Assert.Throws<PgHaException>(() => VoteBook.Open(StateFile)).ErrorId);
    }
}
