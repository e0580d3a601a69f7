using System.Diagnostics;
using System.Text;
using PgHa.Transport;
using Xunit;

namespace PgHa.UnitTests;

public sealed class ShellQuotingTests
{
    [Theory]
    [InlineData("/usr/lib/postgresql/15/bin/pg_ctl")]
    [InlineData("-D")]
    [InlineData("fast")]
    [InlineData("--wal-method=stream")]
    [InlineData("user@host:5432,x+y%z_.")]
    public void SafeWords_StayBare(string argument)
    {
        Assert.Equal(argument, ShellQuoting.Quote(argument));
    }

    [Theory]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("~", "'~'")]
    [InlineData("*", "'*'")]
    [InlineData("a;b", "'a;b'")]
    [InlineData("\u00e9", "'\u00e9'")]
    public void OtherWords_AreSingleQuoted(string argument, string expected)
    {
        Assert.Equal(expected, ShellQuoting.Quote(argument));
    }

    [Fact]
    public void Nul_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => ShellQuoting.Quote("a\0b"));
        Assert.Throws<ArgumentException>(() => ShellQuoting.Join("printf", ["a\0b"]));
    }

    [Fact]
    public void Join_QuotesEachWord()
    {
        Assert.Equal(
            "/usr/lib/postgresql/15/bin/pg_ctl -D '/var/lib/postgresql/my data' -m fast stop",
            ShellQuoting.Join("/usr/lib/postgresql/15/bin/pg_ctl", ["-D", "/var/lib/postgresql/my data", "-m", "fast", "stop"]));
    }

    [Fact]
    public void Join_QuotesAProgramThatLooksLikeAnAssignment()
    {
        Assert.Equal("'A=b' x", ShellQuoting.Join("A=b", ["x"]));
    }

    private static readonly string[] Nasty =
    [
        "plain",
        "",
        " leading and trailing spaces ",
        "it's",
        "'",
        "''",
        "\"double\"",
        "$(touch /tmp/pgha-should-not-exist)",
        "`id`",
        "$HOME ${HOME} $1 $@",
        "line1\nline2\n",
        "\ttab\r\n",
        "*",
        "/etc/*",
        "a;b && c || d | e & f",
        "> redirect < in",
        "\\ back\\slash\\",
        "-n",
        "--help",
        "~",
        "~root",
        "#comment",
        "!history",
        "{a,b}",
        "[abc]",
        "\u00e9t\u00e9 \u65e5\u672c \U0001F418",
        "%s %%",
        "=",
        "a=b",
    ];

    public static TheoryData<string> NastyStrings => new(Nasty);

    [Theory]
    [MemberData(nameof(NastyStrings))]
    public void RealShell_GetsTheExactBytesBack(string argument)
    {
        Assert.Equal([argument], RunPrintfThroughSh([argument]));
    }

    [Fact]
    public void RealShell_GetsAllArgumentsBackInOrder()
    {
        Assert.Equal(Nasty, RunPrintfThroughSh(Nasty));
    }

    // printf '%s\0' prints each argument followed by NUL, so the bytes show exactly what sh passed on.
    private static string[] RunPrintfThroughSh(string[] arguments)
    {
        string commandLine = ShellQuoting.Join("printf", ["%s\\0", .. arguments]);
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(commandLine);
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"sh failed: {error}");
        Assert.False(File.Exists("/tmp/pgha-should-not-exist"));
        byte[] bytes = output.ToArray();
        Assert.True(bytes.Length > 0 && bytes[^1] == 0, "printf output does not end in NUL");
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1).Split('\0');
    }
}
