using System.Text.RegularExpressions;

namespace PgHa.Run;

/// <summary>Finds the built module (output/PgHa/&lt;version&gt;/PgHa.psd1) from the repository this tool was built in.</summary>
internal static class ModuleLocator
{
    public static string FindManifest()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string source = Path.Combine(dir.FullName, "PgHa.psd1");
            if (File.Exists(source) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                string version = Regex.Match(File.ReadAllText(source), @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;
                string built = Path.Combine(dir.FullName, "output", "PgHa", version, "PgHa.psd1");
                return File.Exists(built) ? built : throw new FileNotFoundException("The module is not built: run dotnet build first.", built);
            }
        }
        throw new DirectoryNotFoundException("Cannot find the PgHa repository above " + AppContext.BaseDirectory);
    }
}
