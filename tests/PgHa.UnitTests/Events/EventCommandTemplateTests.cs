using PgHa.Core;
using PgHa.Transport;
using Xunit;

namespace PgHa.UnitTests.Events;

/// <summary>
/// The event hook's command template: what the placeholders turn into, and, through a real /bin/sh, that
/// every value arrives exactly as its text wherever the placeholder stands and is never run as a command.
/// </summary>
public sealed class EventCommandTemplateTests
{
    private const string Witness = "/tmp/pgha-event-hook-should-not-exist";

    private static readonly PgHaEvent Plain = new()
    {
        Id = 7,
        NodeId = 2,
        NodeName = "node2",
        Event = "standby_promote",
        Successful = true,
        Timestamp = new DateTimeOffset(2024, 3, 9, 23, 59, 58, TimeSpan.FromHours(2)),
        Details = "node 'node2' promoted to primary on timeline 2",
    };

    // Everything a shell could take for syntax: if any of it ran, the witness file would appear.
    private static readonly PgHaEvent Nasty = new()
    {
        NodeId = 12,
        NodeName = "it's $(touch " + Witness + ")",
        Event = "standby_clone",
        Successful = false,
        Timestamp = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Details = "failed: `touch " + Witness + "` \"quoted\" 'single' $HOME ${PATH} a;b && c | d > e * ~ \\back\\ 100% %n\nsecond line\ttab ",
    };

    [Theory]
    [InlineData("notify %n %a %e %s %t %d", "notify \"${1}\" \"${2}\" \"${3}\" \"${4}\" \"${5}\" \"${6}\"")]
    [InlineData("notify --node=%n --event=%e", "notify --node=\"${1}\" --event=\"${3}\"")]
    [InlineData("notify \"%t\" \"%d\"", "notify \"${5}\" \"${6}\"")]
    [InlineData("notify \"node %a: %e\"", "notify \"node ${2}: ${3}\"")]
    [InlineData("notify '%d'", "notify ''\"${6}\"''")]
    [InlineData("notify '%s' %s", "notify ''\"${4}\"'' \"${4}\"")]
    [InlineData("echo $(hostname)-%n", "echo $(hostname)-\"${1}\"")]
    public void PlaceholdersBecomeReferencesToTheArguments(string template, string script)
    {
        Assert.Equal(script, EventCommandTemplate.ToScript(template));
    }

    [Theory]
    [InlineData("printf '%%s\\n' x", "printf '%s\\n' x")]
    [InlineData("echo 100%% %%n", "echo 100% %n")]
    [InlineData("echo %x %p %c %N", "echo %x %p %c %N")]
    [InlineData("echo 100%", "echo 100%")]
    [InlineData("echo %", "echo %")]
    [InlineData("echo %'%n'", "echo %''\"${1}\"''")]
    [InlineData("echo \\%n", "echo \\%n")]
    [InlineData("echo \"a\\\"%n\"", "echo \"a\\\"${1}\"")]
    [InlineData("echo \\'%n", "echo \\'\"${1}\"")]
    [InlineData("", "")]
    public void PercentSignsThatAreNoPlaceholderStay(string template, string script)
    {
        Assert.Equal(script, EventCommandTemplate.ToScript(template));
    }

    [Fact]
    public void ArgumentsAreTheEventsFieldsInPlaceholderOrder()
    {
        Assert.Equal(["2", "node2", "standby_promote", "1", "2024-03-09 21:59:58+00", "node 'node2' promoted to primary on timeline 2"],
            EventCommandTemplate.Arguments(Plain));
        var failedWithoutDetails = new PgHaEvent { NodeId = 1, NodeName = "n", Event = "e", Successful = false, Timestamp = DateTimeOffset.UnixEpoch };
        Assert.Equal(["1", "n", "e", "0", "1970-01-01 00:00:00+00", ""], EventCommandTemplate.Arguments(failedWithoutDetails));
    }

    [Theory]
    [InlineData("could not connect: host=pg1 password=s3cret user=x", "could not connect: host=pg1 password=******** user=x")]
    [InlineData("host=pg1 password = 'a b\\' c' dbname=pgha", "host=pg1 password = ******** dbname=pgha")]
    [InlineData("sslpassword=k3y PASSWORD=X", "sslpassword=******** PASSWORD=********")]
    [InlineData("from postgresql://pgha:s3cret@pg1:5432/pgha", "from postgresql://pgha:********@pg1:5432/pgha")]
    [InlineData("postgres://:s3cret@pg1/pgha", "postgres://:********@pg1/pgha")]
    [InlineData("no secret here: passwords are in ~/.pgpass, user@host", "no secret here: passwords are in ~/.pgpass, user@host")]
    public void PasswordsNeverReachTheCommand(string details, string expected)
    {
        Assert.Equal(expected, EventCommandTemplate.RedactPasswords(details));
        Assert.Equal(expected, EventCommandTemplate.Arguments(new PgHaEvent { Details = details })[5]);
    }

    public static TheoryData<string> Templates => new()
    {
        "printf '<%%s>\\n' %n %a %e %s %t %d",
        "printf '<%%s>\\n' \"%n\" \"%a\" \"%e\" \"%s\" \"%t\" \"%d\"",
        "printf '<%%s>\\n' '%n' '%a' '%e' '%s' '%t' '%d'",
        "for v in %n %a %e %s %t %d; do printf '<%%s>\\n' \"$v\"; done",
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public async Task EveryValueArrivesExactlyWhereverThePlaceholderStands(string template)
    {
        foreach (PgHaEvent e in new[] { Plain, Nasty })
        {
            string output = await RunAsync(template, e);
            Assert.Equal(string.Concat(EventCommandTemplate.Arguments(e).Select(v => $"<{v}>\n")), output);
            Assert.False(File.Exists(Witness));
        }
    }

    [Fact]
    public async Task PlaceholdersNextToTextStayInTheirWord()
    {
        string output = await RunAsync("printf '<%%s>\\n' --node=%n %a-%e \"[%d]\" x'%s'y %t%%", Nasty);
        string[] v = [.. EventCommandTemplate.Arguments(Nasty)];
        Assert.Equal($"<--node={v[0]}>\n<{v[1]}-{v[2]}>\n<[{v[5]}]>\n<x{v[3]}y>\n<{v[4]}%>\n", output);
        Assert.False(File.Exists(Witness));
    }

    private static async Task<string> RunAsync(string template, PgHaEvent e)
    {
        var shell = new LocalTransport(Environment.UserName);
        CommandResult result = await shell.RunAsync("/bin/sh", ["-c", EventCommandTemplate.ToScript(template), EventCommandTemplate.ShellName, .. EventCommandTemplate.Arguments(e)],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
        Assert.True(result.Succeeded, $"sh failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }
}
