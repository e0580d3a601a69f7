using System.Text;

namespace PgHa.Conninfo;

/// <summary>
/// The URI grammar of libpq's conninfo_uri_parse_options():
/// postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?keyword=value&amp;...].
/// Hosts and ports of several hosts are stored as comma lists in "host" and "port", as libpq does.
/// Percent-decoding applies to every part ('+' is not a space); %00 is refused.
/// </summary>
internal static class ConninfoUriParser
{
    private static readonly string[] Prefixes = ["postgresql://", "postgres://"];

    public static bool IsUri(string text) => Prefixes.Any(prefix => text.StartsWith(prefix, StringComparison.Ordinal));

    public static List<ConninfoParameter> Parse(string text)
    {
        var parameters = new List<ConninfoParameter>();
        int i = Prefixes.First(prefix => text.StartsWith(prefix, StringComparison.Ordinal)).Length;
        int start = i;

        // libpq looks for '@' before the first '/', so an '@' in the query string is taken as one too.
        int at = i;
        while (at < text.Length && text[at] != '@' && text[at] != '/')
        {
            at++;
        }

        if (at < text.Length && text[at] == '@')
        {
            int userEnd = start;
            while (text[userEnd] != ':' && text[userEnd] != '@')
            {
                userEnd++;
            }

            Store(parameters, ConninfoKeywords.User, text, start, userEnd);
            if (text[userEnd] == ':')
            {
                Store(parameters, ConninfoKeywords.Password, text, userEnd + 1, at);
            }

            i = at + 1;
        }

        var hosts = new StringBuilder();
        var ports = new StringBuilder();
        int hostsStart = i;
        char terminator;
        while (true)
        {
            int hostStart;
            int hostEnd;
            if (i < text.Length && text[i] == '[')
            {
                hostStart = ++i;
                while (i < text.Length && text[i] != ']')
                {
                    i++;
                }

                if (i == text.Length)
                {
                    throw new ConninfoFormatException("the IPv6 address has no closing \"]\"", hostStart);
                }

                if (i == hostStart)
                {
                    throw new ConninfoFormatException("the IPv6 address between \"[\" and \"]\" is empty", hostStart);
                }

                hostEnd = i++;
                if (i < text.Length && text[i] is not (':' or '/' or '?' or ','))
                {
                    throw new ConninfoFormatException(
                        $"unexpected character \"{text[i]}\" after an IPv6 address (expected \":\", \"/\", \"?\" or \",\")", i + 1);
                }
            }
            else
            {
                hostStart = i;
                while (i < text.Length && text[i] is not (':' or '/' or '?' or ','))
                {
                    i++;
                }

                hostEnd = i;
            }

            hosts.Append(Decode(text, hostStart, hostEnd, "host"));
            terminator = i < text.Length ? text[i] : '\0';
            if (terminator == ':')
            {
                int portStart = ++i;
                while (i < text.Length && text[i] is not ('/' or '?' or ','))
                {
                    i++;
                }

                ports.Append(Decode(text, portStart, i, "port"));
                terminator = i < text.Length ? text[i] : '\0';
            }

            if (terminator != ',')
            {
                break;
            }

            i++;
            hosts.Append(',');
            ports.Append(',');
        }

        if (hosts.Length > 0)
        {
            parameters.Add(new ConninfoParameter(ConninfoKeywords.Host, hosts.ToString(), ValuePosition: hostsStart + 1));
        }

        if (ports.Length > 0)
        {
            parameters.Add(new ConninfoParameter(ConninfoKeywords.Port, ports.ToString(), ValuePosition: hostsStart + 1));
        }

        if (terminator == '/')
        {
            int nameStart = ++i;
            while (i < text.Length && text[i] != '?')
            {
                i++;
            }

            // An empty dbname is not stored: libpq would then ignore PGDATABASE.
            Store(parameters, ConninfoKeywords.DatabaseName, text, nameStart, i);
            terminator = i < text.Length ? text[i] : '\0';
        }

        if (terminator == '?')
        {
            ParseQuery(parameters, text, i + 1);
        }

        return parameters;
    }

    private static void ParseQuery(List<ConninfoParameter> parameters, string text, int i)
    {
        while (i < text.Length)
        {
            int keyStart = i;
            int equals = -1;
            while (i < text.Length && text[i] != '&')
            {
                if (text[i] == '=')
                {
                    if (equals >= 0)
                    {
                        string shownKey = Decode(text, keyStart, equals, "query parameter name");
                        throw new ConninfoFormatException(
                            $"the value of query parameter \"{shownKey}\" contains a second \"=\" (write it as %3D)", i + 1);
                    }

                    equals = i;
                }

                i++;
            }

            if (equals < 0)
            {
                throw new ConninfoFormatException("a query parameter has no \"=\" between keyword and value", keyStart + 1);
            }

            string keyword = Decode(text, keyStart, equals, "query parameter name");
            string value = Decode(text, equals + 1, i, ConninfoKeywords.IsSecret(keyword) ? "password" : $"value of \"{keyword}\"");

            // libpq accepts JDBC's ssl=true as sslmode=require.
            if (keyword == "ssl" && value == "true")
            {
                keyword = "sslmode";
                value = "require";
            }

            if (!ConninfoKeywords.IsKnown(keyword))
            {
                throw KeywordValueParser.UnknownKeyword(keyword, keyStart + 1);
            }

            parameters.Add(new ConninfoParameter(keyword, value, ValuePosition: equals + 2));
            if (i < text.Length)
            {
                i++;
            }
        }
    }

    private static void Store(List<ConninfoParameter> parameters, string keyword, string text, int start, int end)
    {
        if (end > start)
        {
            parameters.Add(new ConninfoParameter(keyword, Decode(text, start, end, keyword), ValuePosition: start + 1));
        }
    }

    /// <summary>Percent-decodes text[start..end] as UTF-8. Errors name the part, never its text.</summary>
    private static string Decode(string text, int start, int end, string part)
    {
        if (text.IndexOf('%', start, end - start) < 0)
        {
            return text[start..end];
        }

        var bytes = new List<byte>();
        int i = start;
        while (i < end)
        {
            if (text[i] != '%')
            {
                int run = text.IndexOf('%', i, end - i);
                int runEnd = run < 0 ? end : run;
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i..runEnd]));
                i = runEnd;
                continue;
            }

            if (i + 2 >= end || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
            {
                throw new ConninfoFormatException($"invalid percent-encoding in the {part} (\"%\" must be followed by two hex digits)", i + 1);
            }

            byte b = Convert.ToByte(text.Substring(i + 1, 2), 16);
            if (b == 0)
            {
                throw new ConninfoFormatException($"%00 is not allowed in the {part}", i + 1);
            }

            bytes.Add(b);
            i += 3;
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new ConninfoFormatException($"the percent-encoded bytes in the {part} are not valid UTF-8", start + 1);
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
