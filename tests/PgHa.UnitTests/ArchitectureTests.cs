using System.Reflection;
using PgHa.Core;
using Xunit;

namespace PgHa.UnitTests;

/// <summary>
/// The engine's folders form a stack without cycles (docs/ARCHITECTURE.md). Reads PgHa.dll as compiled:
/// signatures, base types, attributes and every type, method and field token in the IL of each method
/// (lambdas and async state machines are nested types, so they count for the folder that wrote them).
/// Constants are inlined by the compiler and nameof leaves no trace, so those two uses are not seen.
/// </summary>
public sealed class ArchitectureTests
{
    private const string Model = "PgHa";
    private const string Conninfo = "PgHa.Conninfo";
    private const string Core = "PgHa.Core";
    private const string Transport = "PgHa.Transport";
    private const string Configuration = "PgHa.Configuration";
    private const string Sql = "PgHa.Sql";
    private const string Metadata = "PgHa.Metadata";
    private const string Etcd = "PgHa.Etcd";
    private const string Operations = "PgHa.Operations";
    private const string Host = "PgHa.Operations.Host";
    private const string Service = "PgHa.Operations.Service";
    private const string Clone = "PgHa.Operations.Clone";
    private const string Roles = "PgHa.Operations.Roles";
    private const string Monitor = "PgHa.Operations.Monitor";
    private const string Health = "PgHa.Operations.Monitor.Health";
    private const string Switchovers = "PgHa.Operations.Switchovers";
    private const string Sandbox = "PgHa.Operations.Sandbox";
    private const string Checks = "PgHa.Operations.Checks";
    private const string Cmdlets = "PgHa.Cmdlets";

    private static readonly string[] Bottom = [Model, Conninfo, Transport, Core, Configuration, Sql, Metadata, Etcd];

    private static readonly string[] OperationsAndBelow = [.. Bottom, Operations];

    /// <summary>Each folder's namespace and the namespaces it may use (its own is always allowed).</summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        [Model] = [],
        [Conninfo] = [],
        [Transport] = [Conninfo],
        [Core] = [Model, Transport],
        [Configuration] = [Model, Conninfo],
        [Sql] = [Model, Conninfo, Core],
        [Metadata] = [Model, Conninfo, Core, Transport, Sql],
        [Etcd] = [Core],
        [Operations] = Bottom,
        [Host] = OperationsAndBelow,
        [Service] = [.. OperationsAndBelow, Host],
        [Clone] = [.. OperationsAndBelow, Host, Service],
        [Roles] = [.. OperationsAndBelow, Host, Service],
        [Health] = OperationsAndBelow,
        [Monitor] = [.. OperationsAndBelow, Host, Service, Roles, Clone, Health],
        [Switchovers] = [.. OperationsAndBelow, Host, Service, Roles, Monitor],
        [Sandbox] = [.. OperationsAndBelow, Host, Service, Clone],
        [Checks] = [.. OperationsAndBelow, Host, Service, Roles, Monitor],
        [Cmdlets] = [.. OperationsAndBelow, Host, Service, Clone, Roles, Monitor, Health, Switchovers, Sandbox, Checks],
    };

    private static readonly Assembly Engine = typeof(OperationContext).Assembly;

    [Fact]
    public void EveryEngineNamespaceHasItsPlaceInTheStack()
    {
        string[] unplaced = EngineTypes().Select(FolderOf).Distinct().Where(ns => !MayUse.ContainsKey(ns)).Order().ToArray();
        Assert.True(unplaced.Length == 0,
            $"Namespaces not in ArchitectureTests.MayUse (add them there and to docs/ARCHITECTURE.md): {string.Join(", ", unplaced)}");
    }

    [Fact]
    public void TheAllowedUsesHaveNoCycle()
    {
        // Depth-first search over the table: a namespace met again while still on the path closes a cycle.
        var done = new HashSet<string>();
        foreach (string start in MayUse.Keys)
        {
            Visit(start, []);
        }

        void Visit(string ns, List<string> path)
        {
            if (path.Contains(ns))
            {
                Assert.Fail($"The allowed uses form a cycle: {string.Join(" -> ", path.SkipWhile(p => p != ns).Append(ns))}");
            }
            if (!done.Add(ns))
            {
                return;
            }
            path.Add(ns);
            foreach (string next in MayUse[ns])
            {
                Visit(next, path);
            }
            path.RemoveAt(path.Count - 1);
        }
    }

    [Fact]
    public void EachFolderUsesOnlyTheFoldersBelowIt()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Type type in EngineTypes())
        {
            string from = FolderOf(type);
            if (!MayUse.TryGetValue(from, out string[]? allowed))
            {
                continue; // reported by EveryEngineNamespaceHasItsPlaceInTheStack
            }
            foreach (Type used in ReferencedTypes(type).Where(t => t.Assembly == Engine && IsEngineType(t)))
            {
                string to = FolderOf(used);
                if (to != from && !allowed.Contains(to))
                {
                    violations.Add($"{from} uses {to}: {Outermost(type).Name} -> {Outermost(used).Name}");
                }
            }
        }
        Assert.True(violations.Count == 0,
            "Folders reach up the stack (docs/ARCHITECTURE.md; move the type down or the user up):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void NamespacesFollowFolders()
    {
        // Read from the source tree: the table above names folders by their namespaces.
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "PgHa.sln")))
        {
            root = Path.GetDirectoryName(root);
        }
        Assert.NotNull(root);
        string engine = Path.Combine(root, "src", "PgHa");
        var wrong = new List<string>();
        int checkedFiles = 0;
        foreach (string file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(engine, Path.GetDirectoryName(file)!).Replace(Path.DirectorySeparatorChar, '.');
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal))
            {
                continue;
            }
            checkedFiles++;
            string expected = relative == "Model" ? Model : $"{Model}.{relative}";
            string? declared = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("namespace ", StringComparison.Ordinal));
            if (declared != $"namespace {expected};")
            {
                wrong.Add($"{Path.GetRelativePath(root, file)}: {declared ?? "no namespace"} (expected namespace {expected};)");
            }
        }
        Assert.True(checkedFiles > 100, $"Only {checkedFiles} source files found under {engine}.");
        Assert.True(wrong.Count == 0, "Namespaces that do not follow their folder:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void TheScanSeesUsesInsideMethodBodies()
    {
        // Guards the IL reading itself: Switchover reaches MonitorHold only inside an async method body.
        Type switchover = Engine.GetType("PgHa.Operations.Switchovers.Switchover", throwOnError: true)!;
        Assert.Contains(Engine.GetTypes().Where(t => Outermost(t) == switchover).SelectMany(ReferencedTypes),
            t => t.FullName == "PgHa.Operations.Monitor.MonitorHold");
    }

    private static IEnumerable<Type> EngineTypes() => Engine.GetTypes().Where(IsEngineType);

    // Compiler-made helpers (<PrivateImplementationDetails>, embedded attributes) have no namespace or another one.
    private static bool IsEngineType(Type type)
    {
        string? ns = Outermost(type).Namespace;
        return ns is not null && (ns == Model || ns.StartsWith(Model + ".", StringComparison.Ordinal));
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }
        return type;
    }

    private static string FolderOf(Type type) => Outermost(type).Namespace!;

    private static IEnumerable<Type> ReferencedTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter || !found.Add(t))
            {
                return;
            }
            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }
            if (t.IsGenericType)
            {
                foreach (Type arg in t.GetGenericArguments())
                {
                    Add(arg);
                }
            }
        }

        Add(type.BaseType);
        foreach (Type i in type.GetInterfaces())
        {
            Add(i);
        }
        foreach (CustomAttributeData a in type.CustomAttributes)
        {
            Add(a.AttributeType);
        }
        foreach (FieldInfo f in type.GetFields(all))
        {
            Add(f.FieldType);
        }
        foreach (PropertyInfo p in type.GetProperties(all))
        {
            Add(p.PropertyType);
        }
        foreach (EventInfo e in type.GetEvents(all))
        {
            Add(e.EventHandlerType);
        }
        foreach (MethodBase m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi)
            {
                Add(mi.ReturnType);
            }
            foreach (ParameterInfo p in m.GetParameters())
            {
                Add(p.ParameterType);
            }
            MethodBody? body = m.GetMethodBody();
            if (body is null)
            {
                continue;
            }
            foreach (LocalVariableInfo local in body.LocalVariables)
            {
                Add(local.LocalType);
            }
            foreach (ExceptionHandlingClause clause in body.ExceptionHandlingClauses.Where(c => c.Flags == ExceptionHandlingClauseOptions.Clause))
            {
                Add(clause.CatchType);
            }
            foreach (MemberInfo member in IlOperands.In(m).OfType<MemberInfo>())
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case MethodBase called:
                        Add(called.DeclaringType);
                        if (called.IsGenericMethod)
                        {
                            foreach (Type arg in called.GetGenericArguments())
                            {
                                Add(arg);
                            }
                        }
                        break;
                    case FieldInfo field:
                        Add(field.DeclaringType);
                        Add(field.FieldType);
                        break;
                }
            }
        }
        return found;
    }
}
