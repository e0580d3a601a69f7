using System.Diagnostics;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Safety;

/// <summary>
/// These tests put a process named postgres, run by another OS user (nobody), on the machine for a few
/// seconds: while it runs, every directory check on this host fails. They run alone, after the tests that
/// run in parallel, so no other test's clone or sandbox meets it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UnseenServerCollection
{
    public const string Name = "UnseenServer";
}

/// <summary>
/// A server the guard cannot see into is a refusal, never a pass: a postgres process of another OS user
/// whose data directory the PostgreSQL OS user cannot place (no absolute -D, its working directory hidden),
/// or whose data directory it cannot enter (tablespaces and WAL directory unknown), makes New-PgHaSandbox and
/// Remove-PgHaSandbox fail with PgHaDirectoryCheckFailed before they create, stop or delete anything.
/// </summary>
[Collection(UnseenServerCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UnseenServerTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private string _folder = string.Empty;

    public UnseenServerTests(PgHaSession session) => _session = session;

    public async Task InitializeAsync()
    {
        _folder = await TestDirectories.CreateAsync("unseen", owner: null);
        // A shell under the name postgres: its comm is "postgres", and it runs what -c says.
        File.Copy("/bin/sh", Path.Combine(_folder, "postgres"));
        File.SetUnixFileMode(Path.Combine(_folder, "postgres"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public Task DisposeAsync()
    {
        TestDirectories.Delete(_folder);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task APostmasterOfAnotherUserWithoutADataDirectoryInSightStopsTheSandboxCommands()
    {
        await using var stranger = await Stranger.StartAsync(Path.Combine(_folder, "postgres"));
        AssertSandboxCommandsRefused(stranger.Pid, "absolute -D");
    }

    [Fact]
    public async Task APostmasterOfAnotherUserWhoseDataDirectoryCannotBeReadStopsTheSandboxCommands()
    {
        // Its data directory, 0700 and nobody's: the PostgreSQL OS user cannot list its tablespaces or pg_wal.
        string data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "15\n");
        await FixtureCommand.RunCheckedAsync("chown", ["-R", "nobody", data]);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var stranger = await Stranger.StartAsync(Path.Combine(_folder, "postgres"), "-D", data);
        AssertSandboxCommandsRefused(stranger.Pid, data);
    }

    private void AssertSandboxCommandsRefused(int pid, string hint)
    {
        string path = Path.Combine(_folder, "sandbox");
        var created = _session.Run("New-PgHaSandbox -Path $args[0] -Nodes 1", path);
        var error = Assert.Single(created.Errors);
        Assert.Equal("PgHaDirectoryCheckFailed,PgHa.Cmdlets.NewPgHaSandboxCommand", error.FullyQualifiedErrorId);
        Assert.Contains("nothing was deleted", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains($"{pid}", error.Exception.Message + string.Join(' ', created.Warnings), StringComparison.Ordinal);
        Assert.Contains(hint, error.Exception.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(path), "New-PgHaSandbox created the folder although the check failed.");

        // A sandbox folder (its manifest only): nothing is stopped, the manifest stays.
        Directory.CreateDirectory(path);
        string manifest = Path.Combine(path, "pgha-sandbox.json");
        File.WriteAllText(manifest, System.Text.Json.JsonSerializer.Serialize(new
        {
            CreatedBy = "New-PgHaSandbox",
            PgBinDir = PostgresServer.BinDirectory,
            Nodes = new[] { new { Name = "node1", Role = "primary", Address = "127.0.0.1", Port = 1, DataDirectory = path + "/node1/data" } },
        }));
        var removed = _session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", path);
        error = Assert.Single(removed.Errors);
        Assert.Equal("PgHaDirectoryCheckFailed,PgHa.Cmdlets.RemovePgHaSandboxCommand", error.FullyQualifiedErrorId);
        Assert.True(File.Exists(manifest), "Remove-PgHaSandbox deleted the folder although the check failed.");
        Assert.True(LinuxProcesses.Exists(pid), "The other user's process is gone.");
    }

    /// <summary>The stand-in: a shell named postgres run by nobody through runuser, killed with runuser when disposed.</summary>
    private sealed class Stranger : IAsyncDisposable
    {
        private readonly Process _runuser;

        private Stranger(Process runuser, int pid)
        {
            _runuser = runuser;
            Pid = pid;
        }

        /// <summary>The process named postgres (runuser's child).</summary>
        public int Pid { get; }

        public static async Task<Stranger> StartAsync(string shell, params string[] extra)
        {
            // "sleep; :" keeps the shell itself running (a last command alone could be exec'd in its place).
            var start = new ProcessStartInfo("runuser") { UseShellExecute = false, WorkingDirectory = "/" };
            foreach (string argument in new[] { "-u", "nobody", "--", shell, "-c", "sleep 60; :" }.Concat(extra))
            {
                start.ArgumentList.Add(argument);
            }
            var runuser = Process.Start(start) ?? throw new InvalidOperationException("runuser did not start");
            int pid = 0;
            bool running = await Polling.UntilAsync(() =>
            {
                pid = LinuxProcesses.ChildrenOf(runuser.Id).FirstOrDefault(IsNamedPostgres);
                return pid != 0;
            }, TimeSpan.FromSeconds(10));
            var stranger = new Stranger(runuser, pid);
            if (!running)
            {
                await stranger.DisposeAsync();
                Assert.Fail("The stand-in postgres process did not start.");
            }
            return stranger;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_runuser.HasExited)
            {
                _runuser.Kill(entireProcessTree: true);
                await _runuser.WaitForExitAsync();
            }
            _runuser.Dispose();
        }

        private static bool IsNamedPostgres(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/comm").Trim() == "postgres";
            }
            catch (IOException)
            {
                return false;
            }
        }
    }
}
