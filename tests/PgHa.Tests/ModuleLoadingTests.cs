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
        // Touch Npgsql and SSH.NET through the module so both are loaded.
        _session.Run("Get-PgHaNode").ThrowIfErrors();

        foreach (string name in new[] { "PgHa", "Npgsql" })
        {
            var assembly = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == name);
            Assert.Equal("PgHa", AssemblyLoadContext.GetLoadContext(assembly)!.Name);
        }
        var shared = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "PgHa.Shared");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(shared));
    }

    [Fact]
    public void ImportsBesideAnOlderLoggingAbstractionsInTheDefaultContext()
    {
        // The host already holds Microsoft.Extensions.Logging.Abstractions 6.0, as another module might.
        var old = typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger).Assembly;
        Assert.Equal(6, old.GetName().Version!.Major);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(old));

        using var fresh = new PgHaSession();
        fresh.Run("Get-PgHaNode").ThrowIfErrors();
        var ours = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name == "Microsoft.Extensions.Logging.Abstractions" && AssemblyLoadContext.GetLoadContext(a)!.Name == "PgHa")
            .ToList();
        Assert.NotEmpty(ours);
        Assert.True(ours[0].GetName().Version!.Major > 6);
    }
}
