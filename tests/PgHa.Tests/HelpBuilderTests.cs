using System.Diagnostics;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests;

/// <summary>
/// A broken help page must stop the build with the file and line to fix, not ship a cmdlet whose
/// Get-Help silently falls back to generated text. Runs the built converter the way the build does.
/// </summary>
public sealed class HelpBuilderTests : IDisposable
{
    private readonly string _docs = Directory.CreateTempSubdirectory("pgha-help-").FullName;

    [Fact]
    public void PageWithoutSynopsisFailsWithItsFileAndLine()
    {
        string page = WritePage("Get-Thing.md", "# Get-Thing", "", "## DESCRIPTION", "Gets a thing.");

        var (exitCode, error) = RunHelpBuilder();

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{page}(1): error PGHAHELP: 'Get-Thing' has no '## SYNOPSIS' section.", error);
    }

    [Fact]
    public void MalformedParameterYamlFailsWithItsFileAndLine()
    {
        string page = WritePage("Get-Thing.md",
            "# Get-Thing", "## SYNOPSIS", "Gets a thing.", "## PARAMETERS", "### -Name", "The name.",
            "```yaml", "Type: String", "Parameter Sets (All)", "```");

        var (exitCode, error) = RunHelpBuilder();

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{page}(9): error PGHAHELP: Malformed yaml", error);
    }

    public void Dispose() => Directory.Delete(_docs, recursive: true);

    private string WritePage(string name, params string[] lines)
    {
        string path = Path.Combine(_docs, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private (int ExitCode, string Error) RunHelpBuilder()
    {
        // Same configuration as this test build: bin/<Configuration>/net10.0/.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string builder = Path.Combine(RepositoryPaths.Root, "tools", "PgHa.HelpBuilder", "bin", configuration, "net8.0", "PgHa.HelpBuilder.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(builder);
        start.ArgumentList.Add(_docs);
        start.ArgumentList.Add(Path.Combine(_docs, "out", "PgHa.dll-Help.xml"));
        using var process = Process.Start(start)!;
        // Drain stdout while reading stderr so neither pipe can fill up and stall the converter.
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        output.Wait();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}
