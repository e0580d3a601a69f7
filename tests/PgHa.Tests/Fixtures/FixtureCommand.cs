using System.Diagnostics;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// Runs the programs the fixtures need (initdb, pg_ctl, psql, ssh-keygen, …) with an argument list,
/// never through a shell, so test data with spaces or quotes cannot change what runs.
/// </summary>
internal static class FixtureCommand
{
    public const string PostgresUser = "postgres";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>PostgreSQL refuses to run as root, and tests run as root: server tools go through runuser.</summary>
    public static Task<FixtureCommandResult> RunAsPostgresAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return RunAsync(fileName, arguments, cancellationToken, timeout);
        }
        return RunAsync("runuser", new[] { "-u", PostgresUser, "--", fileName }.Concat(arguments), cancellationToken, timeout);
    }

    public static async Task<FixtureCommandResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        var argumentList = arguments.ToList();
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // The postgres user cannot enter the test's working directory (often under /root); tools
            // such as initdb complain when they cannot return to it.
            WorkingDirectory = "/",
        };
        foreach (var argument in argumentList)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start " + fileName);
        process.StandardInput.Close();
        var standardOutput = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var standardError = process.StandardError.ReadToEndAsync(cancellationToken);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{fileName} {string.Join(' ', argumentList)} did not finish within {timeout ?? DefaultTimeout}.");
        }

        return new FixtureCommandResult(fileName, argumentList, process.ExitCode, await standardOutput, await standardError);
    }

    public static async Task<FixtureCommandResult> RunCheckedAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(fileName, arguments, cancellationToken);
        return result.Succeeded ? result : throw new InvalidOperationException(result.Describe());
    }
}
