using System.Text;

namespace PgHa.HelpBuilder;

/// <summary>
/// Turns a platyPS about-topic page into the plain text Get-Help about_* prints: headings flush left
/// in capitals (Get-Help finds the topic's synopsis under "SHORT DESCRIPTION"), prose indented and
/// wrapped to 80 columns so it reads in any console, code kept verbatim.
/// </summary>
internal static class AboutTopicWriter
{
    private const int Width = 80;
    private const string Indent = "    ";

    /// <summary>Writes about_&lt;Name&gt;.help.txt into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string markdownFile, string directory)
    {
        MarkdownOutline outline = MarkdownOutline.Read(markdownFile);
        MarkdownSection topic = outline.Root.Children.FirstOrDefault(s => s.Level == 1)
            ?? throw new HelpFormatException(markdownFile, 1, "The about topic has no '# about_<Name>' heading.");
        if (!topic.Title.StartsWith("about_", StringComparison.OrdinalIgnoreCase))
        {
            throw new HelpFormatException(markdownFile, topic.Line, $"An about topic's title must start with 'about_', not '{topic.Title}'.");
        }
        if (topic.Child("SHORT DESCRIPTION") is not { } shortDescription || !shortDescription.Blocks.Any())
        {
            throw new HelpFormatException(markdownFile, topic.Line, $"'{topic.Title}' has no text under '## SHORT DESCRIPTION'.");
        }

        var text = new StringBuilder();
        text.Append("TOPIC\n").Append(Indent).Append(topic.Title).Append('\n');
        AppendBlocks(text, topic.Blocks);
        foreach (MarkdownSection section in topic.Children)
        {
            AppendSection(text, section);
        }

        string path = Path.Combine(directory, topic.Title + ".help.txt");
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return path;
    }

    private static void AppendSection(StringBuilder text, MarkdownSection section)
    {
        text.Append('\n');
        text.Append(section.Level <= 2 ? section.Title.ToUpperInvariant() : Indent + section.Title).Append('\n');
        AppendBlocks(text, section.Blocks);
        foreach (MarkdownSection child in section.Children)
        {
            AppendSection(text, child);
        }
    }

    private static void AppendBlocks(StringBuilder text, IEnumerable<MarkdownBlock> blocks)
    {
        bool first = true;
        foreach (MarkdownBlock block in blocks)
        {
            if (!first)
            {
                text.Append('\n');
            }
            first = false;
            if (block.IsFence)
            {
                foreach (string line in block.Lines)
                {
                    text.Append(Indent).Append(Indent).Append(line).Append('\n');
                }
            }
            else
            {
                // Text keeps line breaks only for lists: wrap each item on its own, prose as one run.
                foreach (string line in block.Text.Split('\n'))
                {
                    AppendWrapped(text, line.Trim());
                }
            }
        }
    }

    private static void AppendWrapped(StringBuilder text, string paragraph)
    {
        // List items get a hanging indent so the wrapped lines sit under the item's text.
        string continuation = paragraph.StartsWith("- ", StringComparison.Ordinal) || paragraph.StartsWith("* ", StringComparison.Ordinal)
            ? Indent + "  "
            : Indent;
        var line = new StringBuilder(Indent);
        bool lineHasWord = false;
        foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lineHasWord && line.Length + 1 + word.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(continuation);
                lineHasWord = false;
            }
            if (lineHasWord)
            {
                line.Append(' ');
            }
            line.Append(word);
            lineHasWord = true;
        }
        text.Append(line).Append('\n');
    }
}
