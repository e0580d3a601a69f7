using System.Text;

namespace PgHa.Conninfo;

/// <summary>
/// The keyword=value grammar of libpq's conninfo_parse(): whitespace-separated pairs, spaces allowed
/// around '=', values either bare (backslash escapes the next character) or in single quotes (with
/// \' and \\). Like libpq, the whitespace after '=' is skipped, so "host= port=5" sets host to "port=5".
/// </summary>
internal static class KeywordValueParser
{
    public static List<ConninfoParameter> Parse(string text)
    {
        var parameters = new List<ConninfoParameter>();
        // A password written bare ends at the first space; what follows may be the rest of it, so errors
        // about that text must not quote it.
        bool previousWasBareSecret = false;
        int i = 0;
        while (true)
        {
            i = SkipSpace(text, i);
            if (i == text.Length)
            {
                break;
            }

            int tokenStart = i;
            while (i < text.Length && text[i] != '=' && !IsSpace(text[i]))
            {
                i++;
            }

            string keyword = text[tokenStart..i];
            i = SkipSpace(text, i);
            if (i == text.Length || text[i] != '=')
            {
                throw previousWasBareSecret
                    ? TextAfterBareSecret(tokenStart)
                    : new ConninfoFormatException($"missing \"=\" after \"{keyword}\"", tokenStart + 1);
            }

            i = SkipSpace(text, i + 1);
            int valueStart = i;
            var value = new StringBuilder();
            bool quoted = i < text.Length && text[i] == '\'';
            if (quoted)
            {
                i++;
                while (true)
                {
                    if (i == text.Length)
                    {
                        throw new ConninfoFormatException(
                            $"the quoted value of \"{keyword}\" has no closing quote", valueStart + 1);
                    }

                    char c = text[i++];
                    if (c == '\'')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i == text.Length)
                        {
                            continue;
                        }

                        c = text[i++];
                    }

                    value.Append(c);
                }
            }
            else
            {
                while (i < text.Length && !IsSpace(text[i]))
                {
                    char c = text[i++];
                    if (c == '\\')
                    {
                        // libpq drops a backslash at the very end of the string.
                        if (i == text.Length)
                        {
                            break;
                        }

                        c = text[i++];
                    }

                    value.Append(c);
                }
            }

            if (!ConninfoKeywords.IsKnown(keyword))
            {
                throw previousWasBareSecret
                    ? TextAfterBareSecret(tokenStart)
                    : UnknownKeyword(keyword, tokenStart + 1);
            }

            // The token is kept for writing back only if it still means the same with another token after
            // it: an empty bare value would swallow the next token, a dropped final backslash would escape the space.
            bool keepsMeaningWhenFollowed = quoted || (value.Length > 0 && text[i - 1] != '\\');
            string? sourceText = keepsMeaningWhenFollowed ? text[tokenStart..i] : null;
            parameters.Add(new ConninfoParameter(keyword, value.ToString(), sourceText, valueStart + 1));
            previousWasBareSecret = ConninfoKeywords.IsSecret(keyword) && !quoted;
        }

        return parameters;
    }

    public static ConninfoFormatException UnknownKeyword(string keyword, int? position)
    {
        string? sameButCase = ConninfoKeywords.FindIgnoringCase(keyword);
        string hint = sameButCase is null ? "" : $"; keywords are lower case: did you mean \"{sameButCase}\"?";
        return new ConninfoFormatException($"unknown keyword \"{keyword}\" (libpq refuses it{hint})", position);
    }

    private static ConninfoFormatException TextAfterBareSecret(int tokenStart) =>
        new("the text after an unquoted password is not a keyword=value pair; it is not shown because it "
            + "may be part of the password: put a password that contains spaces in single quotes", tokenStart + 1);

    // libpq uses isspace() on bytes: only ASCII whitespace separates parameters.
    internal static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private static int SkipSpace(string text, int i)
    {
        while (i < text.Length && IsSpace(text[i]))
        {
            i++;
        }

        return i;
    }
}
