using System.Reflection;
using System.Runtime.Loader;

namespace PgHa.Shared;

/// <summary>
/// PgHa's private load context. PgHa.dll and its dependencies (Npgsql, SSH.NET, Microsoft.Extensions.*)
/// load here so they cannot clash with other modules or with the host's own copies; pwsh 7.4 (.NET 8)
/// for example cannot load the System.Diagnostics.DiagnosticSource 9.x that Npgsql 10 asks for into
/// its default context.
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    private const string MainAssemblyName = "PgHa";
    private static readonly object Sync = new();
    private static LoadContext? _instance;

    private readonly string _assemblyDirectory;
    private readonly Dictionary<string, Version?> _frameworkVersions;

    private LoadContext(string assemblyDirectory)
        : base(name: "PgHa", isCollectible: false)
    {
        _assemblyDirectory = assemblyDirectory;
        _frameworkVersions = ReadTrustedPlatformAssemblies();
    }

    /// <summary>Creates the context once per process and returns PgHa.dll loaded inside it.</summary>
    public static Assembly Initialize()
    {
        lock (Sync)
        {
            if (_instance is null)
            {
                string directory = Path.GetDirectoryName(typeof(LoadContext).Assembly.Location)
                    ?? throw new InvalidOperationException("Cannot tell where PgHa.Shared.dll was loaded from.");
                _instance = new LoadContext(directory);
            }
            return _instance.LoadFromAssemblyName(new AssemblyName(MainAssemblyName));
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string? name = assemblyName.Name;
        if (name is null || name == typeof(LoadContext).Assembly.GetName().Name)
        {
            return null; // PgHa.Shared itself must stay the default context's copy.
        }

        string path = Path.Combine(_assemblyDirectory, name + ".dll");
        if (!File.Exists(path))
        {
            return null; // Not ours: the framework or the host (System.Management.Automation) provides it.
        }

        // The framework's own copy wins when it is at least the version that was asked for:
        // sharing it avoids two copies of System.* types that would not be interchangeable.
        if (_frameworkVersions.TryGetValue(name, out Version? frameworkVersion)
            && frameworkVersion is not null
            && (assemblyName.Version is null || frameworkVersion >= assemblyName.Version))
        {
            return null;
        }

        return LoadFromAssemblyPath(path);
    }

    private static Dictionary<string, Version?> ReadTrustedPlatformAssemblies()
    {
        var versions = new Dictionary<string, Version?>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is not string list)
        {
            return versions;
        }

        foreach (string path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string fileName = Path.GetFileNameWithoutExtension(path);
            // Only the shared framework counts: an application's own dependency (say an older
            // Microsoft.Extensions.Logging.Abstractions shipped by the host) is not "the framework".
            if (!IsSharedFrameworkPath(path))
            {
                continue;
            }
            try
            {
                versions[fileName] = AssemblyName.GetAssemblyName(path).Version;
            }
            catch (Exception ex) when (ex is BadImageFormatException or IOException)
            {
                // Native or unreadable entries are not candidates.
            }
        }
        return versions;
    }

    private static bool IsSharedFrameworkPath(string path)
    {
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;
        string? parent = Path.GetDirectoryName(path);
        return parent is not null && string.Equals(
            Path.GetFullPath(parent).TrimEnd(Path.DirectorySeparatorChar),
            Path.GetFullPath(frameworkDirectory).TrimEnd(Path.DirectorySeparatorChar),
            StringComparison.Ordinal);
    }
}
