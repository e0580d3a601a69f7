namespace PgHa.Tests.Fixtures;

/// <summary>What a program run by a fixture printed and how it ended.</summary>
internal sealed record FixtureCommandResult(string FileName, IReadOnlyList<string> Arguments, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    public string Describe() =>
        $"{FileName} {string.Join(' ', Arguments)} exited with {ExitCode}\nstdout: {StandardOutput.Trim()}\nstderr: {StandardError.Trim()}";
}
