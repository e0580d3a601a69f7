using System.Management.Automation;
using System.Reflection;

namespace PgHa.UnitTests.Core;

/// <summary>
/// Which ErrorIds each cmdlet can raise, read from PgHa.dll as compiled: a call graph from every method of the
/// cmdlet class (and its PgHa base classes) through call, callvirt, newobj, ldftn and the compiler's lambda and
/// async state-machine types; a virtual or interface call reaches every PgHa override or implementation. An id
/// is "raised" by a method whose IL loads its string (constants of PgHaErrorIds are inlined as such a load).
/// It over-approximates (every implementation of an interface counts), which is what "can raise" needs.
/// </summary>
internal sealed class ErrorIdReach
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private readonly Assembly _engine;
    private readonly Dictionary<MethodKey, MethodBase> _methods = [];
    private readonly Dictionary<MethodKey, List<MethodKey>> _overrides = [];
    private readonly Dictionary<MethodKey, (HashSet<MethodKey> Calls, HashSet<string> Strings)> _bodies = [];

    public ErrorIdReach(Assembly engine)
    {
        _engine = engine;
        foreach (Type type in engine.GetTypes())
        {
            foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                _methods[Key(method)] = method;
            }
            foreach (MethodInfo method in type.GetMethods(Declared))
            {
                MethodInfo baseDefinition = method.GetBaseDefinition();
                if (baseDefinition != method && baseDefinition.DeclaringType?.Assembly == engine)
                {
                    AddOverride(baseDefinition, method);
                }
            }
            if (type.IsInterface)
            {
                continue;
            }
            foreach (Type contract in type.GetInterfaces().Where(i => i.Assembly == engine))
            {
                InterfaceMapping map = type.GetInterfaceMap(contract);
                for (int i = 0; i < map.InterfaceMethods.Length; i++)
                {
                    if (map.TargetMethods[i].DeclaringType == type)
                    {
                        AddOverride(map.InterfaceMethods[i], map.TargetMethods[i]);
                    }
                }
            }
        }
    }

    /// <summary>The cmdlet classes of the engine, by their command name (Verb-Noun).</summary>
    public IReadOnlyDictionary<string, Type> Cmdlets() => _engine.GetTypes()
        .Where(t => !t.IsAbstract && t.GetCustomAttribute<CmdletAttribute>() is not null)
        .ToDictionary(t => $"{t.GetCustomAttribute<CmdletAttribute>()!.VerbName}-{t.GetCustomAttribute<CmdletAttribute>()!.NounName}");

    /// <summary>Every string starting with "PgHa" that the methods reachable from <paramref name="cmdlet"/> load.</summary>
    public HashSet<string> IdsRaisedBy(Type cmdlet)
    {
        var roots = Roots(cmdlet).ToList();
        var seen = new HashSet<MethodKey>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<MethodKey>(roots);
        while (work.Count > 0)
        {
            MethodKey at = work.Pop();
            if (!seen.Add(at) || !_methods.ContainsKey(at))
            {
                continue;
            }
            var (calls, strings) = Body(at);
            ids.UnionWith(strings.Where(s => s.StartsWith("PgHa", StringComparison.Ordinal)));
            foreach (MethodKey next in calls)
            {
                work.Push(next);
                if (_overrides.TryGetValue(next, out List<MethodKey>? overriders))
                {
                    overriders.ForEach(work.Push);
                }
            }
        }
        return ids;
    }

    /// <summary>
    /// One chain of calls from <paramref name="cmdlet"/> to a method that loads <paramref name="id"/>
    /// ("Type.Method" each, the cmdlet's own first), or null when none: what a failure message shows, so a
    /// reader can tell a real raise site from the over-approximation.
    /// </summary>
    public IReadOnlyList<string>? PathTo(Type cmdlet, string id)
    {
        var from = new Dictionary<MethodKey, MethodKey?>();
        var queue = new Queue<MethodKey>();
        foreach (MethodKey root in Roots(cmdlet))
        {
            if (from.TryAdd(root, null))
            {
                queue.Enqueue(root);
            }
        }
        while (queue.Count > 0)
        {
            MethodKey at = queue.Dequeue();
            if (!_methods.ContainsKey(at))
            {
                continue;
            }
            var (calls, strings) = Body(at);
            if (strings.Contains(id))
            {
                var path = new List<string>();
                for (MethodKey? step = at; step is { } s; step = from[s])
                {
                    MethodBase method = _methods[s];
                    path.Add($"{method.DeclaringType?.Name}.{method.Name}");
                }
                path.Reverse();
                return path;
            }
            foreach (MethodKey next in calls.Concat(calls.SelectMany(c => _overrides.TryGetValue(c, out var o) ? o : [])))
            {
                if (from.TryAdd(next, at))
                {
                    queue.Enqueue(next);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Where PowerShell enters a cmdlet: every method of the cmdlet class itself; of its PgHa base classes only
    /// what PowerShell calls on its own (constructors, parameter accessors, overrides of the framework's
    /// virtuals such as BeginProcessing and StopProcessing, and framework interfaces such as IDisposable). A
    /// base-class helper (reading the cluster, parsing -Conninfo) counts only where a call reaches it, so a
    /// cmdlet is not said to raise what only its siblings' use of the base class raises.
    /// </summary>
    private IEnumerable<MethodKey> Roots(Type cmdlet)
    {
        for (Type? type = cmdlet; type is not null && type.Assembly == _engine; type = type.BaseType)
        {
            var frameworkInterfaceMethods = type.GetInterfaces()
                .Where(i => i.Assembly != _engine)
                .SelectMany(i => type.GetInterfaceMap(i).TargetMethods)
                .ToHashSet();
            foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                bool enteredByPowerShell = type == cmdlet
                    || method is ConstructorInfo
                    || method.IsSpecialName
                    || (method is MethodInfo info && (frameworkInterfaceMethods.Contains(info)
                        || (info.IsVirtual && info.GetBaseDefinition().DeclaringType?.Assembly != _engine)));
                if (enteredByPowerShell)
                {
                    yield return Key(method);
                }
            }
        }
    }

    private void AddOverride(MethodInfo declared, MethodInfo implementation)
    {
        MethodKey key = Key(declared);
        if (!_overrides.TryGetValue(key, out List<MethodKey>? list))
        {
            _overrides[key] = list = [];
        }
        list.Add(Key(implementation));
    }

    private (HashSet<MethodKey> Calls, HashSet<string> Strings) Body(MethodKey key)
    {
        if (_bodies.TryGetValue(key, out var body))
        {
            return body;
        }
        body = ([], new HashSet<string>(StringComparer.Ordinal));
        _bodies[key] = body;
        MethodBase method = _methods[key];
        foreach (object? operand in IlOperands.In(method))
        {
            if (operand is string text)
            {
                body.Strings.Add(text);
            }
            else
            {
                Use(operand as MemberInfo, body.Calls);
            }
        }
        return body;
    }

    private void Use(MemberInfo? member, HashSet<MethodKey> calls)
    {
        switch (member)
        {
            case MethodBase called:
                calls.Add(Key(called));
                UseType(called.DeclaringType, calls);
                if (called.IsGenericMethod)
                {
                    foreach (Type arg in called.GetGenericArguments())
                    {
                        UseType(arg, calls);
                    }
                }
                break;
            case FieldInfo field:
                UseType(field.DeclaringType, calls);
                break;
            case Type type:
                UseType(type, calls);
                break;
        }
    }

    /// <summary>
    /// A type used reaches its static constructor; a compiler-made type (an async or iterator state machine, a
    /// lambda's closure: its name starts with '&lt;') reaches the methods the framework calls (MoveNext, ...), but
    /// not its lambdas (named '&lt;...'), which are reached where a delegate is made of them (ldftn).
    /// </summary>
    private void UseType(Type? type, HashSet<MethodKey> calls)
    {
        if (type is null || type.Assembly != _engine)
        {
            return;
        }
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (Type arg in type.GetGenericArguments())
            {
                UseType(arg, calls);
            }
            type = type.GetGenericTypeDefinition();
        }
        if (type.TypeInitializer is { } cctor)
        {
            calls.Add(Key(cctor));
        }
        if (type.Name.StartsWith('<'))
        {
            foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (!method.Name.StartsWith('<'))
                {
                    calls.Add(Key(method));
                }
            }
        }
    }

    // A method's metadata token names its definition, so generic instantiations and the definition meet here.
    private static MethodKey Key(MethodBase method) => new(method.Module.ModuleVersionId, method.MetadataToken);

    private readonly record struct MethodKey(Guid Module, int Token);
}
