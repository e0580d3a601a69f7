// PgHa.HelpBuilder <docs-dir> <output-maml>
// Builds the module's help without platyPS: every cmdlet page in <docs-dir> goes into one MAML file
// at <output-maml>, and every about_*.md page becomes about_*.help.txt in the same folder, which is
// where Get-Help looks for both.
using PgHa.HelpBuilder;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: PgHa.HelpBuilder <docs-dir> <output-maml-path>");
    return 2;
}

string docsDirectory = args[0];
string mamlPath = Path.GetFullPath(args[1]);
if (!Directory.Exists(docsDirectory))
{
    Console.Error.WriteLine($"error: the help source folder '{docsDirectory}' does not exist.");
    return 1;
}

// Ordinal order keeps the MAML byte-for-byte the same on every machine (deterministic builds).
string[] pages = Directory.GetFiles(docsDirectory, "*.md").OrderBy(p => p, StringComparer.Ordinal).ToArray();
static bool IsAboutTopic(string page) => Path.GetFileName(page).StartsWith("about_", StringComparison.OrdinalIgnoreCase);

try
{
    var commands = pages.Where(p => !IsAboutTopic(p)).Select(MarkdownHelpPage.Parse).ToList();
    var duplicate = commands.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
    if (duplicate is not null)
    {
        Console.Error.WriteLine($"error: more than one page documents {duplicate.Key}.");
        return 1;
    }

    string outputDirectory = Path.GetDirectoryName(mamlPath)!;
    Directory.CreateDirectory(outputDirectory);
    MamlWriter.Write(mamlPath, commands);
    Console.WriteLine($"PgHa.HelpBuilder: {commands.Count} cmdlet page(s) -> {mamlPath}");

    foreach (string page in pages.Where(IsAboutTopic))
    {
        Console.WriteLine($"PgHa.HelpBuilder: {Path.GetFileName(page)} -> {AboutTopicWriter.Write(page, outputDirectory)}");
    }
    return 0;
}
catch (HelpFormatException ex)
{
    // "file(line): error: message" is the shape MSBuild and editors turn into a clickable build error.
    Console.Error.WriteLine($"{ex.File}({ex.Line}): error PGHAHELP: {ex.Reason}");
    return 1;
}
