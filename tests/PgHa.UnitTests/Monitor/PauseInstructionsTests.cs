using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

public sealed class PauseInstructionsTests
{
    [Fact]
    public void NothingSaidIsNotPaused()
    {
        var pause = new PauseInstructions();
        Assert.False(pause.Decide());
        Assert.False(pause.Paused);
        Assert.Null(pause.DecidedBy);
    }

    [Fact]
    public void TheNewestInstructionWins()
    {
        var pause = new PauseInstructions();
        pause.Observe(PauseSource.Metadata, false, null, 0);
        Assert.False(pause.Decide());
        pause.Observe(PauseSource.Direct, true, null, 10);
        Assert.True(pause.Decide());
        Assert.True(pause.Paused);
        // The metadata read again says what it said: no new instruction, the direct pause stays newest.
        pause.Observe(PauseSource.Metadata, false, null, 20);
        Assert.False(pause.Decide());
        Assert.True(pause.Paused);
        pause.Observe(PauseSource.Direct, false, null, 30);
        Assert.True(pause.Decide());
        Assert.False(pause.Paused);
        Assert.Equal(PauseSource.Direct, pause.DecidedBy);
    }

    [Fact]
    public void PausedWinsInstructionsSeenAtTheSameMoment()
    {
        var pause = new PauseInstructions();
        pause.Observe(PauseSource.Metadata, false, null, 5);
        pause.Observe(PauseSource.Consensus, true, "7", 5);
        Assert.True(pause.Decide());
        Assert.True(pause.Paused);
        Assert.Equal(PauseSource.Consensus, pause.DecidedBy);
    }

    [Fact]
    public void APauseKeyWrittenAgainIsANewInstructionEvenIfItsDeletionWasMissed()
    {
        // CI's case: Suspend (metadata and key), Resume (direct message first, then the metadata and the key),
        // then a key written by hand. The monitor read the first key, missed its deletion, and read the second.
        var pause = new PauseInstructions();
        pause.Observe(PauseSource.Direct, true, null, 100);
        pause.Decide();
        pause.Observe(PauseSource.Metadata, true, "t1", 200);
        pause.Observe(PauseSource.Consensus, true, "41", 200);
        pause.Decide();
        pause.Observe(PauseSource.Direct, false, null, 300);
        Assert.True(pause.Decide());
        Assert.False(pause.Paused);

        pause.Observe(PauseSource.Metadata, false, null, 400);
        pause.Observe(PauseSource.Consensus, true, "45", 400);
        Assert.True(pause.Decide());
        Assert.True(pause.Paused);
        Assert.Equal(PauseSource.Consensus, pause.DecidedBy);

        // The same key read again is not new: a later resume stays in force.
        pause.Observe(PauseSource.Direct, false, null, 500);
        Assert.True(pause.Decide());
        pause.Observe(PauseSource.Consensus, true, "45", 600);
        Assert.False(pause.Decide());
        Assert.False(pause.Paused);
    }

    [Fact]
    public void TheSameMetadataFlagReadAgainIsNoNewInstruction()
    {
        // A direct Resume while the primary is down leaves every copy of the metadata paused: reading it again,
        // from any copy, must not pause the monitor again.
        var pause = new PauseInstructions();
        pause.Observe(PauseSource.Metadata, true, null, 100);
        pause.Decide();
        pause.Observe(PauseSource.Direct, false, null, 200);
        pause.Decide();
        Assert.False(pause.Paused);
        pause.Observe(PauseSource.Metadata, true, null, 300);
        Assert.False(pause.Decide());
        Assert.False(pause.Paused);
        Assert.True(pause.MetadataPaused);
        Assert.Equal(100, pause.SeenAtMs(PauseSource.Metadata));
    }

    [Fact]
    public void EtcdSeenAsOfTheFirstMetadataReadLosesNoPause()
    {
        // The start: the metadata says paused (a pause made under the built-in quorum), etcd has no key; etcd is
        // opened after the first metadata read and observed as of it.
        var pause = new PauseInstructions();
        pause.Observe(PauseSource.Metadata, true, null, 100);
        pause.Decide();
        pause.Observe(PauseSource.Consensus, false, null, pause.SeenAtMs(PauseSource.Metadata)!.Value);
        Assert.False(pause.Decide());
        Assert.True(pause.Paused);
        // Later reads of the same two say nothing new.
        pause.Observe(PauseSource.Metadata, true, null, 5000);
        pause.Observe(PauseSource.Consensus, false, null, 5000);
        Assert.False(pause.Decide());
        Assert.True(pause.Paused);
    }

    [Fact]
    public void TheSameDirectInstructionTwiceIsTwoInstructions()
    {
        var pause = new PauseInstructions();
        pause.Observe(PauseSource.Direct, true, null, 100);
        pause.Decide();
        pause.Observe(PauseSource.Metadata, false, null, 200);
        pause.Decide();
        Assert.False(pause.Paused);
        pause.Observe(PauseSource.Direct, true, null, 300);
        Assert.True(pause.Decide());
        Assert.True(pause.Paused);
    }
}
