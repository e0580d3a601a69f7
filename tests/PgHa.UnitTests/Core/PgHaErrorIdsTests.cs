using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using PgHa.Core;
using Xunit;

namespace PgHa.UnitTests.Core;

/// <summary>
/// The ErrorId catalogue (src/PgHa/Core/PgHaErrorIds.cs) is complete, raise sites use it, and every id is in
/// the help of a cmdlet that can raise it. The source is read as text; the help from docs/en-US.
/// </summary>
public sealed partial class PgHaErrorIdsTests
{
    /// <summary>Strings that look like ErrorIds but are PowerShell variable names (cmdlet nouns are skipped by their attribute).</summary>
    private static readonly HashSet<string> NotErrorIds = ["PgHaEventCommand", "PgHaEventAction", "PgHaClusterSecretFile"];

    /// <summary>The monitor still writes its ids and categories at its raise sites, until it is moved to the catalogue.</summary>

    private static readonly string CatalogueFile = Path.Combine("src", "PgHa", "Core", "PgHaErrorIds.cs");

    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void EveryIdHasItsCategoryAndIsNamedAsItselfWithoutThePrefix()
    {
        FieldInfo[] constants = typeof(PgHaErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToArray();
        Assert.True(constants.Length > 100, $"Only {constants.Length} ids in the catalogue.");
        Assert.Equal(constants.Length, PgHaErrorIds.All.Count);
        foreach (FieldInfo constant in constants)
        {
            string id = (string)constant.GetRawConstantValue()!;
            Assert.Equal("PgHa" + constant.Name, id);
            Assert.NotEqual(ErrorCategory.NotSpecified, PgHaErrorIds.CategoryOf(id));
        }
        Assert.Equal(ErrorCategory.NotSpecified, PgHaErrorIds.CategoryOf("PgHaNoSuchId"));
    }

    [Fact]
    public void EveryIdInTheSourceIsInTheCatalogue()
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        int seen = 0;
        foreach (var (file, line, id) in IdLiterals())
        {
            seen++;
            if (!PgHaErrorIds.All.ContainsKey(id))
            {
                missing.Add($"{id} ({file}:{line})");
            }
        }
        Assert.True(seen > 100, $"Only {seen} id literals found under src/ (the catalogue's own included).");
        Assert.True(missing.Count == 0, "ErrorIds not in src/PgHa/Core/PgHaErrorIds.cs (add them with their category):\n" + string.Join("\n", missing));
    }

    [Fact]
    public void EveryRaiseSiteNamesTheCatalogue()
    {
        var literals = IdLiterals()
            .Where(l => l.File != CatalogueFile)
            .Select(l => $"{l.File}:{l.Line}: \"{l.Id}\"")
            .ToList();
        Assert.True(literals.Count == 0, "Write PgHaErrorIds.<Name> instead of the id's text:\n" + string.Join("\n", literals));

        // The category comes from the catalogue: no raise site names one.
        string[] categoryAllowed = [CatalogueFile, Path.Combine("src", "PgHa", "Core", "PgHaException.cs"), Path.Combine("src", "PgHa", "Cmdlets", "ErrorRecords.cs")];
        var categories = SourceFiles()
            .Where(f => !categoryAllowed.Contains(f.Relative))
            .SelectMany(f => f.Lines.Select((text, i) => (f.Relative, Line: i + 1, text)))
            .Where(l => l.text.Contains("ErrorCategory.", StringComparison.Ordinal))
            .Select(l => $"{l.Relative}:{l.Line}: {l.text.Trim()}")
            .ToList();
        Assert.True(categories.Count == 0, "Categories written at raise sites (the catalogue has them):\n" + string.Join("\n", categories));
    }

    [Fact]
    public void EveryIdIsInTheHelpOfACmdletThatCanRaiseIt()
    {
        var reach = new ErrorIdReach(typeof(PgHaErrorIds).Assembly);
        IReadOnlyDictionary<string, Type> cmdlets = reach.Cmdlets();
        Assert.True(cmdlets.Count >= 20, $"Only {cmdlets.Count} cmdlets found.");
        var raisedBy = cmdlets.ToDictionary(c => c.Key, c => reach.IdsRaisedBy(c.Value));
        var help = cmdlets.Keys.ToDictionary(name => name, name => File.ReadAllText(Path.Combine(RepoRoot, "docs", "en-US", name + ".md")));
        string about = File.ReadAllText(Path.Combine(RepoRoot, "docs", "en-US", "about_PgHa.md"));

        var undocumented = new List<string>();
        foreach (string id in PgHaErrorIds.All.Keys.Order(StringComparer.Ordinal))
        {
            var raisers = raisedBy.Where(r => r.Value.Contains(id)).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
            var word = new Regex($@"\b{id}\b");
            if (raisers.Count == 0)
            {
                // Raised only where no cmdlet reaches it yet (a backend not wired in): about_PgHa must name it.
                if (!word.IsMatch(about))
                {
                    undocumented.Add($"{id}: no cmdlet raises it and about_PgHa does not name it");
                }
            }
            else if (!raisers.Any(c => word.IsMatch(help[c])))
            {
                undocumented.Add($"{id}: in none of the help pages of {string.Join(", ", raisers)}");
            }
        }
        Assert.True(undocumented.Count == 0,
            "ErrorIds missing from the help (add a line '- PgHaXyz: what happened. What to do.' under the page's ErrorIds):\n" + string.Join("\n", undocumented));
    }

    [Fact]
    public void TheReachFollowsAsyncCodeAndInterfacesButNotEverything()
    {
        var reach = new ErrorIdReach(typeof(PgHaErrorIds).Assembly);
        IReadOnlyDictionary<string, Type> cmdlets = reach.Cmdlets();
        // Raised inside async methods two calls below the cmdlet.
        Assert.Contains(PgHaErrorIds.SwitchoverCandidateBehind, reach.IdsRaisedBy(cmdlets["Invoke-PgHaSwitchover"]));
        // Raised by SshTransport's host-key check, behind INodeTransport.
        Assert.Contains(PgHaErrorIds.SshHostKeyMismatch, reach.IdsRaisedBy(cmdlets["Stop-PgHaNode"]));
        // Reading a configuration file switches nothing over.
        HashSet<string> import = reach.IdsRaisedBy(cmdlets["Import-PgHaConfig"]);
        Assert.Contains(PgHaErrorIds.ConfigNotFound, import);
        Assert.DoesNotContain(PgHaErrorIds.SwitchoverCandidateBehind, import);
    }

    private static IEnumerable<(string File, int Line, string Id)> IdLiterals()
    {
        foreach (var file in SourceFiles())
        {
            for (int i = 0; i < file.Lines.Length; i++)
            {
                string line = file.Lines[i];
                if (line.Contains("[Cmdlet(", StringComparison.Ordinal) || line.TrimStart().StartsWith("//", StringComparison.Ordinal))
                {
                    continue; // the noun of a cmdlet ([Cmdlet(VerbsCommon.Get, "PgHaNode")]), or a type in a comment's cref
                }
                foreach (Match m in IdLiteral().Matches(line))
                {
                    string id = m.Groups[1].Value;
                    if (!NotErrorIds.Contains(id))
                    {
                        yield return (file.Relative, i + 1, id);
                    }
                }
            }
        }
    }

    private static IEnumerable<(string Relative, string Text, string[] Lines)> SourceFiles()
    {
        string src = Path.Combine(RepoRoot, "src");
        foreach (string file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(RepoRoot, file);
            string[] parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("obj") || parts.Contains("bin"))
            {
                continue;
            }
            string text = File.ReadAllText(file);
            yield return (relative, text, text.Split('\n'));
        }
    }

    private static string FindRepoRoot()
    {
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "PgHa.sln")))
        {
            root = Path.GetDirectoryName(root);
        }
        return root ?? throw new InvalidOperationException("PgHa.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"(PgHa[A-Z][A-Za-z0-9]*)\"")]
    private static partial Regex IdLiteral();
}
