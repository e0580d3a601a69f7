using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests;

/// <summary>
/// build.ps1 and the pinned tool list parse, and the tasks the README names are offered: a fast check in
/// the xunit run. The tasks themselves run in the pinned pwsh (dotnet pwsh ./build.ps1 -Task ...); test.sh
/// runs what -Task Test runs (the same dotnet test filter, checked here), and tests/PgHa.Module.Tests.ps1
/// packs and installs what -Task Package makes.
/// </summary>
public sealed class BuildScriptTests
{
    [Theory]
    [InlineData("build.ps1")]
    [InlineData("tools/requirements.psd1")]
    public void ParsesWithoutErrors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(RepositoryPaths.Root, relativePath), out _, out ParseError[] errors);

        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}")));
    }

    [Fact]
    public void OffersTheDocumentedTasks()
    {
        ScriptBlockAst script = Parser.ParseFile(Path.Combine(RepositoryPaths.Root, "build.ps1"), out _, out _);
        ParameterAst task = script.ParamBlock!.Parameters.Single(p => p.Name.VariablePath.UserPath == "Task");
        var validateSet = task.Attributes.OfType<AttributeAst>().Single(a => a.TypeName.Name == "ValidateSet");

        Assert.Equal(new[] { "Build", "Test", "Docs", "Package" },
            validateSet.PositionalArguments.Cast<StringConstantExpressionAst>().Select(a => a.Value));
    }

    [Fact]
    public void TestTaskRunsTheXunitSuiteWithTheFilterOfTestSh()
    {
        // test.sh: dotnet test PgHa.sln -c Release --filter "Speed!=Slow" ...
        Match testSh = Regex.Match(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "test.sh")),
            @"^dotnet test PgHa\.sln .*--filter ""(?<filter>[^""]+)""", RegexOptions.Multiline);
        Assert.True(testSh.Success, "test.sh runs no 'dotnet test PgHa.sln ... --filter \"...\"'.");

        // build.ps1 -Task Test: Invoke-DotNet -ArgumentList 'test', ..., '--filter', '<the same>'
        ScriptBlockAst script = Parser.ParseFile(Path.Combine(RepositoryPaths.Root, "build.ps1"), out _, out _);
        var testCalls = script.FindAll(a => a is CommandAst c && c.GetCommandName() == "Invoke-DotNet", true).Cast<CommandAst>()
            .Select(c => c.CommandElements.OfType<ArrayLiteralAst>().SelectMany(l => l.Elements)
                .Select(e => (e as StringConstantExpressionAst)?.Value).ToList())
            .Where(arguments => arguments.FirstOrDefault() == "test")
            .ToList();
        var call = Assert.Single(testCalls);
        int filter = call.IndexOf("--filter");
        Assert.True(filter >= 0 && filter + 1 < call.Count, "build.ps1 runs dotnet test without --filter: " + string.Join(" ", call));
        Assert.Equal(testSh.Groups["filter"].Value, call[filter + 1]);
    }
}
