using System.Management.Automation;
using System.Management.Automation.Language;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests;

/// <summary>
/// The Pester files (tests/*.Tests.ps1) are the pwsh user's suite and Pester cannot run here, so this
/// checks them the way PowerShell would before running them: each file parses, and every PgHa command
/// it calls, with every parameter it passes, exists in the module as built. The module's commands come
/// from Get-Command in the hosted session, never from a list in this file, so a cmdlet added without a
/// Pester file, or a parameter renamed under a Pester file, fails here.
/// </summary>
public sealed class PesterFileTests : IClassFixture<PgHaSession>
{
    // Every PgHa noun starts with PgHa; helper functions in the Pester files must not look like one.
    private static readonly WildcardPattern PgHaCommandName = new("*-PgHa*", WildcardOptions.IgnoreCase);

    // One line per command: "Name<TAB>Parameter|alias|alias<TAB>Parameter|alias...". Plain strings,
    // because CommandInfo.Parameters resolves through the engine and is safest read inside the runspace.
    // Parameters of a cmdlet include the common parameters (and WhatIf/Confirm when it supports
    // ShouldProcess) with their aliases (ea, wv, wi, cf...).
    private const string DescribeModuleCommands = """
        Get-Command -Module PgHa | ForEach-Object {
            $parameters = foreach ($parameter in $_.Parameters.Values) { (@($parameter.Name) + @($parameter.Aliases)) -join '|' }
            (@($_.Name) + @($parameters)) -join "`t"
        }
        """;

    private readonly PgHaSession _session;

    public PesterFileTests(PgHaSession session) => _session = session;

    [Fact]
    public void PesterFilesParseAndUseOnlyCommandsAndParametersTheModuleHas()
    {
        IReadOnlyDictionary<string, CommandParameters> commands = ModuleCommands();
        var problems = new List<string>();
        foreach (PesterFile file in PesterFiles())
        {
            problems.AddRange(file.ParseErrors);
            foreach (CommandAst call in file.PgHaCalls)
            {
                string where = $"{file.RelativePath}:{call.Extent.StartLineNumber}";
                string name = UnqualifiedName(call);
                if (!commands.TryGetValue(name, out CommandParameters? parameters))
                {
                    problems.Add($"{where}: {name} is not a command of the built PgHa module.");
                    continue;
                }
                foreach (CommandParameterAst parameter in call.CommandElements.OfType<CommandParameterAst>())
                {
                    if (parameters.Resolve(parameter.ParameterName) is { } problem)
                    {
                        problems.Add($"{where}: {name} -{parameter.ParameterName}: {problem}");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, "Pester file problems:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void EveryCommandOfTheModuleIsUsedByAPesterFile()
    {
        // The definition of done: a cmdlet is not finished until the pwsh user's suite exercises it.
        var used = PesterFiles()
            .SelectMany(file => file.PgHaCalls)
            .Select(UnqualifiedName)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unused = ModuleCommands().Keys
            .Where(command => !used.Contains(command))
            .Order(StringComparer.Ordinal)
            .Select(command => $"{command} is not used by any tests/*.Tests.ps1 file; add tests/{command}.Tests.ps1.")
            .ToList();

        Assert.True(unused.Count == 0, "Commands without Pester tests:\n" + string.Join("\n", unused));
    }

    /// <summary>The module's commands as built and imported, with their parameters and aliases.</summary>
    private Dictionary<string, CommandParameters> ModuleCommands()
    {
        var commands = new Dictionary<string, CommandParameters>(StringComparer.OrdinalIgnoreCase);
        foreach (PSObject line in _session.Run(DescribeModuleCommands).ThrowIfErrors().Output)
        {
            string[] fields = ((string)line.BaseObject).Split('\t');
            commands[fields[0]] = new CommandParameters(fields.Skip(1).Select(field => field.Split('|')).ToList());
        }
        Assert.NotEmpty(commands);
        return commands;
    }

    /// <summary>Every tests/*.Tests.ps1, parsed; only the top folder, as build.ps1 hands them to Pester.</summary>
    private static List<PesterFile> PesterFiles()
    {
        string testsDirectory = Path.Combine(RepositoryPaths.Root, "tests");
        var files = Directory.GetFiles(testsDirectory, "*.Tests.ps1")
            .Order(StringComparer.Ordinal)
            .Select(PesterFile.Parse)
            .ToList();
        Assert.True(files.Count > 0, $"There is no *.Tests.ps1 file in {testsDirectory}.");
        return files;
    }

    /// <summary>"PgHa\Get-PgHaNode" and "Get-PgHaNode" name the same command.</summary>
    private static string UnqualifiedName(CommandAst call)
    {
        string name = call.GetCommandName() ?? string.Empty;
        int separator = name.LastIndexOf('\\');
        return separator < 0 ? name : name[(separator + 1)..];
    }

    private sealed record PesterFile(string RelativePath, IReadOnlyList<string> ParseErrors, IReadOnlyList<CommandAst> PgHaCalls)
    {
        public static PesterFile Parse(string path)
        {
            string relativePath = Path.GetRelativePath(RepositoryPaths.Root, path).Replace('\\', '/');
            ScriptBlockAst script = Parser.ParseFile(path, out _, out ParseError[] errors);
            var parseErrors = errors
                .Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: parse error {e.ErrorId}: {e.Message}")
                .ToList();
            // Nested script blocks too: most calls sit inside It { } and Should -Throw { } blocks.
            // GetCommandName is null for dynamic calls (& $command), which cannot be checked statically.
            var calls = script.FindAll(ast => ast is CommandAst call && call.GetCommandName() is string name && PgHaCommandName.IsMatch(name), true)
                .Cast<CommandAst>()
                .ToList();
            return new PesterFile(relativePath, parseErrors, calls);
        }
    }

    /// <summary>
    /// A command's parameters as the binder sees them: a name given on a command line is the parameter
    /// it names exactly (name or alias), else the one parameter whose name or an alias it begins.
    /// </summary>
    private sealed class CommandParameters
    {
        // Alias or name -> the parameter's own name.
        private readonly Dictionary<string, string> _canonical = new(StringComparer.OrdinalIgnoreCase);

        public CommandParameters(IEnumerable<string[]> parameters)
        {
            foreach (string[] namesAndAliases in parameters)
            {
                foreach (string nameOrAlias in namesAndAliases.Where(n => n.Length > 0))
                {
                    _canonical[nameOrAlias] = namesAndAliases[0];
                }
            }
            // Every cmdlet has them; listed in case Parameters ever leaves them out.
            foreach (string common in PSCmdlet.CommonParameters)
            {
                _canonical.TryAdd(common, common);
            }
        }

        /// <summary>Null when <paramref name="given"/> binds to one parameter, else why it does not.</summary>
        public string? Resolve(string given)
        {
            if (_canonical.ContainsKey(given))
            {
                return null;
            }
            var candidates = _canonical
                .Where(entry => entry.Key.StartsWith(given, StringComparison.OrdinalIgnoreCase))
                .Select(entry => entry.Value)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Order(StringComparer.Ordinal)
                .ToList();
            return candidates.Count switch
            {
                1 => null,
                0 => "no such parameter.",
                _ => $"ambiguous, it could be {string.Join(", ", candidates.Select(c => "-" + c))}.",
            };
        }
    }
}
