using System.Text.RegularExpressions;

namespace PgHa.Tests.Hosting;

/// <summary>Where the repository and the built module are, found from the test assembly's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string ModuleVersion { get; } = Regex.Match(
        File.ReadAllText(Path.Combine(Root, "PgHa.psd1")), @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;

    /// <summary>The manifest of the built module: tests only ever import output/PgHa/&lt;version&gt;.</summary>
    public static string ModuleManifest { get; } = Path.Combine(Root, "output", "PgHa", ModuleVersion, "PgHa.psd1");

    public static string ModuleDirectory => Path.GetDirectoryName(ModuleManifest)!;

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
