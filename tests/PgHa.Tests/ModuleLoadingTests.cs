using System.Runtime.Loader;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests;

public sealed class ModuleLoadingTests : IClassFixture<PgHaSession>
{
    private readonly PgHaSession _session;

    public ModuleLoadingTests(PgHaSession session) => _session = session;

    [Fact]
    public void DependenciesLoadIntoPgHasOwnContext()
    {
        // A connection attempt (to a loopback port where nothing listens) loads Npgsql and its dependencies.
        var result = _session.Run("Get-PgHaCluster -Conninfo 'host=127.0.0.250 port=1' -ConnectTimeout 1");
        Assert.Equal("PgHaNodeUnreachable,PgHa.Cmdlets.GetPgHaClusterCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);

        // No command of this release needs SSH yet: resolve SSH.NET the way PgHa.dll's references are resolved.
        var pgHaContext = AssemblyLoadContext.All.Single(c => c.Name == "PgHa");
        var ssh = pgHaContext.LoadFromAssemblyName(new System.Reflection.AssemblyName("Renci.SshNet"));
        Assert.Same(pgHaContext, AssemblyLoadContext.GetLoadContext(ssh));
        Assert.Equal(2026, ssh.GetName().Version!.Major);

        foreach (string name in new[] { "PgHa", "Npgsql", "Renci.SshNet" })
        {
            var assembly = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == name);
            Assert.Equal("PgHa", AssemblyLoadContext.GetLoadContext(assembly)!.Name);
        }
        var shared = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "PgHa.Shared");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(shared));
    }

    [Fact]
    public void TheLaidOutAssembliesAreReadyToRunImagesOfNet8Il()
    {
        // A Release build on linux-x64 (this machine, CI) compiles them for .NET 10 (pwsh 7.6) with crossgen2; the
        // IL inside stays net8.0, which pwsh 7.4 and 7.5 load and JIT-compile as before (they refuse the images).
        // A Debug build, or one elsewhere, lays out the IL alone.
#if DEBUG
        const bool Release = false;
#else
        const bool Release = true;
#endif
        bool imagesExpected = Release && OperatingSystem.IsLinux()
            && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;
        string bin = Path.Combine(RepositoryPaths.ModuleDirectory, "bin");
        foreach (string name in new[] { "PgHa", "PgHa.Shared", "Npgsql", "Renci.SshNet", "BouncyCastle.Cryptography" })
        {
            using var image = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(bin, name + ".dll")));
            Assert.True(imagesExpected == image.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0,
                $"{name}.dll is {(imagesExpected ? "not" : "unexpectedly")} a ReadyToRun image (see PgHa.csproj: crossgen2 may have failed on it or be missing)");
        }
        _session.Run("Get-Command -Module PgHa").ThrowIfErrors();
        var module = AssemblyLoadContext.All.Single(c => c.Name == "PgHa").Assemblies.Single(a => a.GetName().Name == "PgHa");
        Assert.Equal(Path.Combine(bin, "PgHa.dll"), module.Location);
        var framework = module.GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false)
            .Cast<System.Runtime.Versioning.TargetFrameworkAttribute>().Single();
        Assert.Equal(".NETCoreApp,Version=v8.0", framework.FrameworkName);
    }

    [Fact]
    public void ImportsBesideAnOlderLoggingAbstractionsInTheDefaultContext()
    {
        // The host already holds Microsoft.Extensions.Logging.Abstractions 6.0, as another module might.
        var old = typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger).Assembly;
        Assert.Equal(6, old.GetName().Version!.Major);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(old));

        using var fresh = new PgHaSession();
        var result = fresh.Run("Get-PgHaCluster -Conninfo 'host=127.0.0.250 port=1' -ConnectTimeout 1");
        Assert.Equal("PgHaNodeUnreachable,PgHa.Cmdlets.GetPgHaClusterCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
        var ours = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name == "Microsoft.Extensions.Logging.Abstractions" && AssemblyLoadContext.GetLoadContext(a)!.Name == "PgHa")
            .ToList();
        Assert.NotEmpty(ours);
        Assert.True(ours[0].GetName().Version!.Major > 6);
    }
}
