using System.Text.RegularExpressions;

namespace PgHa.Bench.Hosting;

/// <summary>Where the repository, the built module and the results folder are, found from the program's location.</summary>
public static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();

    public static string ModuleVersion { get; } = Regex.Match(
        File.ReadAllText(Path.Combine(Root, "PgHa.psd1")), @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;

    /// <summary>The built module, as pwsh users import it: output/PgHa/&lt;version&gt;/PgHa.psd1.</summary>
    public static string ModuleManifest { get; } = Path.Combine(Root, "output", "PgHa", ModuleVersion, "PgHa.psd1");

    /// <summary>bench/results/: git-ignored; the numbers worth keeping are copied into bench/README.md by hand.</summary>
    public static string ResultsDirectory { get; } = Path.Combine(Root, "bench", "results");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PgHa.psd1")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find the repository root (PgHa.psd1) above " + AppContext.BaseDirectory);
    }
}
