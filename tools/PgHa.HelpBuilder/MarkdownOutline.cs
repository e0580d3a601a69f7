namespace PgHa.HelpBuilder;

/// <summary>A run of lines: a paragraph (blank-line separated text) or a fenced code block.</summary>
internal sealed record MarkdownBlock(int Line, IReadOnlyList<string> Lines, string? FenceInfo)
{
    public bool IsFence => FenceInfo is not null;

    /// <summary>
    /// The paragraph as one string. Prose lines are joined with spaces so Get-Help can re-wrap them to the
    /// console width; list items and code keep their line breaks, or they would run together.
    /// </summary>
    public string Text => IsFence || Lines.Any(IsListItem)
        ? string.Join("\n", Lines)
        : string.Join(" ", Lines.Select(l => l.Trim()));

    private static bool IsListItem(string line)
    {
        string t = line.TrimStart();
        return t.StartsWith("- ", StringComparison.Ordinal) || t.StartsWith("* ", StringComparison.Ordinal)
            || (t.Length > 2 && char.IsDigit(t[0]) && t.IndexOf(". ", StringComparison.Ordinal) is > 0 and < 4);
    }
}

/// <summary>A heading with the blocks under it and its sub-headings.</summary>
internal sealed class MarkdownSection
{
    public MarkdownSection(int level, string title, int line)
    {
        Level = level;
        Title = title;
        Line = line;
    }

    public int Level { get; }

    public string Title { get; }

    public int Line { get; }

    public List<MarkdownBlock> Blocks { get; } = new();

    public List<MarkdownSection> Children { get; } = new();

    public IEnumerable<string> Paragraphs => Blocks.Where(b => !b.IsFence).Select(b => b.Text);

    public MarkdownSection? Child(string title) =>
        Children.FirstOrDefault(c => string.Equals(c.Title, title, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The shape of a platyPS markdown file: front matter, then headings holding paragraphs and fenced
/// blocks. Only the markdown platyPS writes is understood; inline markup is left as typed, which is
/// also how platyPS puts it into MAML.
/// </summary>
internal sealed class MarkdownOutline
{
    private MarkdownOutline(string file, IReadOnlyDictionary<string, string> frontMatter, MarkdownSection root)
    {
        File = file;
        FrontMatter = frontMatter;
        Root = root;
    }

    public string File { get; }

    public IReadOnlyDictionary<string, string> FrontMatter { get; }

    /// <summary>A level-0 section holding everything; its children are the level-1 headings.</summary>
    public MarkdownSection Root { get; }

    public static MarkdownOutline Read(string file)
    {
        string[] lines = System.IO.File.ReadAllLines(file);
        int index = 0;
        var frontMatter = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            int end = Array.FindIndex(lines, 1, l => l.Trim() == "---");
            if (end < 0)
            {
                throw new HelpFormatException(file, 1, "The front matter that starts here has no closing '---' line.");
            }
            foreach (var (key, value) in YamlMap.Read(file, lines, 1, end))
            {
                frontMatter[key] = value;
            }
            index = end + 1;
        }

        var root = new MarkdownSection(0, string.Empty, 1);
        var open = new Stack<MarkdownSection>();
        open.Push(root);
        var paragraph = new List<string>();
        int paragraphLine = 0;

        void EndParagraph()
        {
            if (paragraph.Count > 0)
            {
                open.Peek().Blocks.Add(new MarkdownBlock(paragraphLine, paragraph.ToArray(), null));
                paragraph.Clear();
            }
        }

        for (; index < lines.Length; index++)
        {
            string line = lines[index];
            string trimmed = line.Trim();
            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                EndParagraph();
                string fence = trimmed[..3];
                int start = index;
                int close = Array.FindIndex(lines, index + 1, l => l.Trim() == fence);
                if (close < 0)
                {
                    throw new HelpFormatException(file, start + 1, "This code block is never closed.");
                }
                open.Peek().Blocks.Add(new MarkdownBlock(start + 1, lines[(start + 1)..close], trimmed[3..].Trim()));
                index = close;
            }
            else if (HeadingLevel(trimmed) is int level and > 0)
            {
                EndParagraph();
                while (open.Peek().Level >= level)
                {
                    open.Pop();
                }
                var section = new MarkdownSection(level, trimmed[level..].Trim(), index + 1);
                open.Peek().Children.Add(section);
                open.Push(section);
            }
            else if (trimmed.Length == 0)
            {
                EndParagraph();
            }
            else
            {
                if (paragraph.Count == 0)
                {
                    paragraphLine = index + 1;
                }
                paragraph.Add(line.TrimEnd());
            }
        }
        EndParagraph();
        return new MarkdownOutline(file, frontMatter, root);
    }

    private static int HeadingLevel(string line)
    {
        int level = 0;
        while (level < line.Length && line[level] == '#')
        {
            level++;
        }
        // '#text' is not a heading in markdown; a heading needs the space.
        return level > 0 && level <= 6 && (level == line.Length || line[level] == ' ') ? level : 0;
    }
}
