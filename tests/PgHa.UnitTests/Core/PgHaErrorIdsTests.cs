using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using PgHa.Core;
using Xunit;

namespace PgHa.UnitTests.Core;

/// <summary>
/// The ErrorId catalogue (src/PgHa/Core/PgHaErrorIds.cs) is complete, raise sites use it, and every id is in
/// the help of a cmdlet that can raise it; the directory guard's, TLS and conninfo ids in the help of every
/// cmdlet that can raise them. The source is read as text; the help from docs/en-US; which cmdlet can raise
/// what from PgHa.dll's call graph (<see cref="ErrorIdReach"/>).
/// </summary>
public sealed partial class PgHaErrorIdsTests
{
    /// <summary>Strings that look like ErrorIds but are PowerShell variable names (cmdlet nouns are skipped by their attribute).</summary>
    private static readonly HashSet<string> NotErrorIds = ["PgHaEventCommand", "PgHaEventAction", "PgHaClusterSecretFile"];

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
            else if (EveryRaiserDocuments(id))
            {
                var silent = raisers.Where(c => !word.IsMatch(help[c]) && !ReachedButNotRaised.ContainsKey((c, id))).ToList();
                if (silent.Count > 0)
                {
                    undocumented.Add($"{id}: missing from the help pages of {string.Join(", ", silent)} (each can raise it; "
                        + string.Join("; ", silent.Select(c => c + ": " + string.Join(" > ", reach.PathTo(cmdlets[c], id) ?? [])))
                        + ")");
                }
            }
            else if (!raisers.Any(c => word.IsMatch(help[c])))
            {
                undocumented.Add($"{id}: in none of the help pages of {string.Join(", ", raisers)}");
            }
        }
        Assert.True(undocumented.Count == 0,
            "ErrorIds missing from the help (add a line '- PgHaXyz: what happened. What to do.' under the page's ErrorIds):\n" + string.Join("\n", undocumented));

        // An exception that no longer applies hides nothing: drop it.
        var stale = ReachedButNotRaised.Keys.Where(k => !raisedBy[k.Cmdlet].Contains(k.Id)).Select(k => $"{k.Cmdlet}: {k.Id}").ToList();
        Assert.True(stale.Count == 0, "ReachedButNotRaised lists pairs the call graph no longer reaches:\n" + string.Join("\n", stale));
    }

    /// <summary>
    /// Pairs the call graph reaches but the arguments rule out (the graph cannot see values): the guard's rule
    /// is one method, and these callers pass it no primary directories or no switch that allows a non-empty
    /// directory. Each entry says why; the test fails when one is no longer reached.
    /// </summary>
    private static readonly Dictionary<(string Cmdlet, string Id), string> ReachedButNotRaised = new()
    {
        [("New-PgHaSandbox", PgHaErrorIds.DirectoryOfPrimary)] = "SandboxBuilder and SandboxRemover scan with no primary directories",
        [("New-PgHaSandbox", PgHaErrorIds.DirectoryNotDataDirectory)] = "SandboxBuilder checks with nonEmptyNeeds null (a non-empty folder is PgHaSandboxPathInUse)",
        [("Remove-PgHaSandbox", PgHaErrorIds.DirectoryOfPrimary)] = "SandboxRemover scans with no primary directories",
        [("Remove-PgHaSandbox", PgHaErrorIds.DirectoryNotDataDirectory)] = "SandboxRemover checks with nonEmptyNeeds null",
        [("Invoke-PgHaRejoin", PgHaErrorIds.DirectoryNotDataDirectory)] = "NodeRejoin checks with nonEmptyNeeds null: the node's own data directory",
        [("Invoke-PgHaSwitchover", PgHaErrorIds.DirectoryNotDataDirectory)] = "the old primary's rejoin checks with nonEmptyNeeds null",
    };

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

    /// <summary>
    /// Ids a user of any cmdlet may meet for the same reason wherever they are raised: what the directory guard
    /// refuses, and a conninfo or TLS setup that cannot be used. Each must be in the help of every cmdlet that
    /// can raise it (by <see cref="ErrorIdReach"/>: the cmdlet's call graph in PgHa.dll reaches a method that
    /// loads the id), not just one of them.
    /// </summary>
    private static bool EveryRaiserDocuments(string id) =>
        id.StartsWith("PgHaDirectory", StringComparison.Ordinal)
        || id is PgHaErrorIds.ConninfoInvalid or PgHaErrorIds.TlsConfigurationInvalid or PgHaErrorIds.ServerCertificateRejected;

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
