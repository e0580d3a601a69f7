using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace PgHa.Tests.Hosting;

/// <summary>
/// Gives tests that drive the engine directly (the etcd client against a real etcd) the PgHa.dll of the built
/// module, loaded the way PgHa.psm1 loads it: PgHa.Shared.dll from output/PgHa/&lt;version&gt;/bin into the default
/// context, then PgHa.dll and its dependencies into PgHa's own context. The test assembly compiles against
/// PgHa.dll without a copy of it (PgHa.Tests.csproj), so the default context asks here when a test first
/// touches an engine type; a hosted runspace that imports the module later finds the same assembly.
/// </summary>
internal static class ModuleAssembly
{
    private static readonly object Sync = new();
    private static Assembly? _engine;

#pragma warning disable CA2255 // A test assembly, not a library: the resolver must be in place before any test's code is compiled.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => AssemblyLoadContext.Default.Resolving += Resolve;

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is not ("PgHa" or "Npgsql"))
        {
            return null;
        }
        lock (Sync)
        {
            if (_engine is null)
            {
                string shared = Path.Combine(RepositoryPaths.ModuleDirectory, "bin", "PgHa.Shared.dll");
                Type loadContext = Assembly.LoadFrom(shared).GetType("PgHa.Shared.LoadContext", throwOnError: true)!;
                _engine = (Assembly)loadContext.GetMethod("Initialize", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
            }
            // Npgsql for tests that hold the engine's sessions (NodeConnector): the copy PgHa's context loaded, so
            // that the connection the engine returns is of the type the test compiled against.
            return name.Name == "PgHa" ? _engine : AssemblyLoadContext.GetLoadContext(_engine)!.LoadFromAssemblyName(name);
        }
    }
}
